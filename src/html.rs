//! The self-contained HTML report: findings, figures and charts in one
//! file that can be mailed, archived or opened offline.
//!
//! The file holds no script at all and its Content-Security-Policy allows
//! none, nor any network access: it reads the same in a mail client, a
//! browser opened from a share, or printed to PDF. Every text from the log
//! is escaped, and the charts are embedded as `data:` images, so nothing
//! in a log line can become markup. The report is built from the JSON
//! report, so a redacted report (see [`crate::redact`]) renders the same
//! way.

use crate::parse::fields::Millis;
use crate::zone::Zone;
use base64::Engine;
use serde_json::Value;
use std::fmt::Write;

/// A chart to embed: its title and its SVG markup.
#[derive(Clone, Debug)]
pub struct Chart {
    /// Shown above the chart and as its alternative text.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

/// The page's policy: no scripts, no requests; inline styles and `data:`
/// images only.
pub const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src data:; base-uri 'none'; form-action 'none'";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders the report as one HTML document.
///
/// `redacted` adds a note that names, addresses and hosts were replaced.
pub fn render_html_report(
    report: &Value,
    charts: &[Chart],
    zone: &Zone,
    redacted: bool,
) -> String {
    let mut out = String::new();
    let when = |v: &Value| time_in_zone(v, zone);
    head(&mut out);
    let totals = &report["totals"];
    let _ = write!(
        out,
        "<header><h1>npe-lens report</h1><p>{} messages ({} errors) in {} \
         lines of {} file(s). Times are shown in {}.</p>",
        num(&totals["messages_complete"]) + num(&totals["message_errors"]),
        num(&totals["message_errors"]),
        num(&totals["lines"]),
        num(&totals["files"]),
        escape(zone.name())
    );
    if redacted {
        out.push_str(
            "<p class=\"note\">Redacted: addresses, message ids and host \
             names are replaced by pseudonyms (the same value always gets \
             the same pseudonym).</p>",
        );
    }
    out.push_str("</header><main>");
    findings(&mut out, report, &when);
    timings(&mut out, report);
    for chart in charts {
        let data = base64::engine::general_purpose::STANDARD.encode(&chart.svg);
        let _ = write!(
            out,
            "<figure><figcaption>{t}</figcaption><img alt=\"{t}\" \
             src=\"data:image/svg+xml;base64,{data}\"></figure>",
            t = escape(&chart.title)
        );
    }
    hosts(&mut out, report);
    files(&mut out, report, &when);
    out.push_str("</main></body></html>\n");
    out
}

fn head(out: &mut String) {
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{REPORT_CSP}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>npe-lens report</title><style>{STYLE}</style></head><body>"
    );
}

/// Styles: readable on screen in light and dark, and clean on paper.
const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#57606a;\
--line:#d0d7de;--crit:#b42318;--warn:#9a6700;--info:#0969da}\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;\
--muted:#9ea7b3;--line:#30363d;--crit:#ff7b72;--warn:#d29922;--info:#58a6ff}}\
body{font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);\
margin:0 auto;max-width:70rem;padding:1rem 2rem}\
h1{margin-bottom:.2rem}.note{color:var(--muted)}\
section.finding{border-left:.4rem solid var(--info);padding:.2rem 1rem;\
margin:1rem 0}\
section.critical{border-color:var(--crit)}section.warning{border-color:var(--warn)}\
.sev{font-weight:700;text-transform:uppercase;font-size:.8rem}\
.critical .sev{color:var(--crit)}.warning .sev{color:var(--warn)}\
.info .sev{color:var(--info)}\
pre{white-space:pre-wrap;word-break:break-all;font-size:.8rem;\
background:rgba(127,127,127,.1);padding:.5rem}\
table{border-collapse:collapse;margin:1rem 0}\
th,td{border-bottom:1px solid var(--line);padding:.2rem .6rem;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:1rem 0}figure img{max-width:100%;background:#fff}\
@media print{body{max-width:none;padding:0;font-size:11pt}\
section.finding,figure,table{break-inside:avoid}}";

fn findings(out: &mut String, report: &Value, when: &dyn Fn(&Value) -> String) {
    out.push_str("<h2>Findings</h2>");
    let list = report["findings"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if list.is_empty() {
        out.push_str("<p>No message records were read.</p>");
    }
    for f in list {
        let sev = f["severity"].as_str().unwrap_or("info");
        let _ = write!(
            out,
            "<section class=\"finding {sev}\" data-finding-id=\"{id}\">\
             <p class=\"sev\">{sev} · {id}</p><h3>{title}</h3>",
            sev = escape(sev),
            id = escape(f["id"].as_str().unwrap_or("")),
            title = escape(f["title"].as_str().unwrap_or(""))
        );
        if !f["first"].is_null() {
            let _ = write!(
                out,
                "<p class=\"note\">From {} to {}</p>",
                escape(&when(&f["first"])),
                escape(&when(&f["last"]))
            );
        }
        let _ = write!(
            out,
            "<p>{}</p>",
            escape(f["explanation"].as_str().unwrap_or(""))
        );
        list_of(out, "ul", &f["evidence"]);
        if let Some(samples) = f["samples"].as_array().filter(|s| !s.is_empty())
        {
            out.push_str("<pre>");
            for s in samples.iter().take(5) {
                let _ = writeln!(
                    out,
                    "{}:{}: {}",
                    escape(s["file"].as_str().unwrap_or("")),
                    s["line"],
                    escape(s["text"].as_str().unwrap_or(""))
                );
            }
            out.push_str("</pre>");
        }
        if f["next_steps"].as_array().is_some_and(|s| !s.is_empty()) {
            out.push_str("<h4>What to check</h4>");
            list_of(out, "ol", &f["next_steps"]);
        }
        out.push_str("</section>");
    }
}

fn list_of(out: &mut String, tag: &str, items: &Value) {
    let Some(items) = items.as_array().filter(|i| !i.is_empty()) else {
        return;
    };
    let _ = write!(out, "<{tag}>");
    for item in items {
        let _ = write!(out, "<li>{}</li>", escape(item.as_str().unwrap_or("")));
    }
    let _ = write!(out, "</{tag}>");
}

fn timings(out: &mut String, report: &Value) {
    out.push_str(
        "<h2>Time per step (seconds)</h2><table><thead><tr><th>step</th>\
         <th>messages</th><th>median</th><th>p95</th><th>p99</th><th>max</th>\
         </tr></thead><tbody>",
    );
    for step in ["receive", "detection", "send", "total"] {
        let s = &report["timings"][step];
        let _ = write!(
            out,
            "<tr><td>{step}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            num(&s["count"]),
            secs(&s["p50"]),
            secs(&s["p95"]),
            secs(&s["p99"]),
            secs(&s["max"])
        );
    }
    out.push_str("</tbody></table>");
}

fn hosts(out: &mut String, report: &Value) {
    let Some(list) =
        report["downstream_hosts"].as_array().filter(|l| !l.is_empty())
    else {
        return;
    };
    out.push_str(
        "<h2>Downstream hosts</h2><table><thead><tr><th>host</th>\
         <th>messages</th><th>refused</th><th>forward errors</th>\
         <th>send median</th><th>send p95</th></tr></thead><tbody>",
    );
    for h in list {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(h["host"].as_str().unwrap_or("")),
            num(&h["messages"]),
            num(&h["rejected"]),
            num(&h["forward_errors"]),
            secs(&h["send"]["p50"]),
            secs(&h["send"]["p95"])
        );
    }
    out.push_str("</tbody></table>");
}

fn files(out: &mut String, report: &Value, when: &dyn Fn(&Value) -> String) {
    out.push_str(
        "<h2>Files read</h2><table><thead><tr><th>file</th><th>format</th>\
         <th>lines</th><th>unrecognized</th><th>from</th><th>to</th></tr>\
         </thead><tbody>",
    );
    for f in report["files"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let mut name = escape(f["name"].as_str().unwrap_or(""));
        if let Some(d) = f["duplicate_of"].as_str() {
            let _ = write!(name, " (same as {}: counted once)", escape(d));
        }
        let _ = write!(
            out,
            "<tr><td>{name}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(f["format"].as_str().unwrap_or("")),
            num(&f["lines"]),
            num(&f["unrecognized_lines"]),
            escape(&when(&f["first"])),
            escape(&when(&f["last"]))
        );
    }
    out.push_str("</tbody></table>");
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn secs(v: &Value) -> String {
    format!("{:.2}", v.as_f64().unwrap_or(0.0))
}

fn time_in_zone(v: &Value, zone: &Zone) -> String {
    let Some(text) = v.as_str() else {
        return "–".to_string();
    };
    match text.parse::<jiff::Timestamp>() {
        Ok(ts) => zone.format(ts.as_millisecond() as Millis),
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_is_escaped() {
        let report = serde_json::json!({
            "totals": {"messages_complete": 1, "lines": 1, "files": 1},
            "findings": [{
                "id": "downstream-rejections",
                "severity": "warning",
                "title": "<img src=x onerror=alert(1)>",
                "explanation": "a & b",
                "evidence": ["<script>alert(1)</script>"],
                "samples": [{"file": "f", "line": 3, "text": "<b>x</b>"}],
                "next_steps": [],
                "first": null,
            }],
            "files": [{"name": "<i>f</i>", "format": "operational"}],
        });
        let html = render_html_report(&report, &[], &Zone::utc(), false);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("<b>x</b>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("data-finding-id=\"downstream-rejections\""));
    }

    #[test]
    fn no_script_and_no_network() {
        let html =
            render_html_report(&serde_json::json!({}), &[], &Zone::utc(), true);
        assert!(!html.contains("<script"));
        assert!(html.contains("default-src 'none'"));
        assert!(html.contains("Redacted"));
    }

    #[test]
    fn charts_are_images() {
        let chart = Chart { title: "t".into(), svg: "<svg></svg>".into() };
        let html = render_html_report(
            &serde_json::json!({}),
            &[chart],
            &Zone::utc(),
            false,
        );
        assert!(
            html.contains("src=\"data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=\"")
        );
    }
}
