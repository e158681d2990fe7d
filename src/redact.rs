//! Redaction: replacing addresses, message ids and host names by stable
//! pseudonyms, so a report can be sent outside the company (to the mail
//! team of a partner, or to vendor support).
//!
//! A *pseudonym* is stable within one report: the same host is `host-3`
//! everywhere, so the story still reads ("host-3 refused 40 messages"),
//! but nothing of the original is left. Pseudonyms are numbered in the
//! order values are first met, not derived from the values, so they
//! cannot be reversed by guessing.
//!
//! Three kinds of text are replaced wherever they occur in a string:
//! e-mail addresses and message ids (`local@domain`), IPv4 addresses, and
//! every host and domain the analysis met in a host or sender field.

use crate::analysis::Dataset;
use regex::Regex;
use rustc_hash::FxHashMap;
use serde_json::Value;

/// Keys of the JSON report whose values are vocabulary, not log text.
const KEPT_KEYS: &[&str] =
    &["id", "severity", "confidence", "format", "outcome", "artifact"];

/// Replaces sensitive values by pseudonyms.
pub struct Redactor {
    pattern: Regex,
    known: FxHashMap<String, Kind>,
    names: FxHashMap<String, String>,
    counts: [usize; 3],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Address,
    Host,
    Domain,
}

impl Redactor {
    /// A redactor that knows the hosts and sender domains of a dataset.
    pub fn from_dataset(data: &Dataset) -> Redactor {
        let mut known = FxHashMap::default();
        for (host, _) in &data.hosts {
            known.insert(data.symbols.resolve(*host).to_string(), Kind::Host);
        }
        for m in &data.messages {
            for (sym, kind) in
                [(m.downstream, Kind::Host), (m.sender_domain, Kind::Domain)]
            {
                let text = data.symbols.resolve(sym);
                if !text.is_empty() && !known.contains_key(text) {
                    known.insert(text.to_string(), kind);
                }
            }
        }
        Redactor::with_known(known)
    }

    fn with_known(mut known: FxHashMap<String, Kind>) -> Redactor {
        // Placeholders the vendor's own samples use are not secrets.
        known.retain(|k, _| {
            k.len() > 1 && k.chars().any(|c| c.is_ascii_alphanumeric())
        });
        let mut literals: Vec<&String> = known.keys().collect();
        literals.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let mut alternatives = vec![
            // local@domain: addresses and message ids; a bare @domain too.
            r"[A-Za-z0-9._%+=#$!&'*/?^`{|}~-]*@[A-Za-z0-9.-]+".to_string(),
            // IPv4.
            r"(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?-u:\b)"
                .to_string(),
        ];
        alternatives.extend(
            literals
                .iter()
                .map(|l| format!(r"(?-u:\b){}(?-u:\b)", regex::escape(l))),
        );
        let pattern = Regex::new(&alternatives.join("|"))
            .expect("escaped literals and fixed patterns form a valid regex");
        Redactor { pattern, known, names: FxHashMap::default(), counts: [0; 3] }
    }

    /// Redacts one string.
    pub fn text(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        let matches: Vec<(usize, usize)> =
            self.pattern.find_iter(s).map(|m| (m.start(), m.end())).collect();
        for (start, end) in matches {
            out.push_str(&s[last..start]);
            out.push_str(&self.pseudonym(&s[start..end]));
            last = end;
        }
        out.push_str(&s[last..]);
        out
    }

    /// Redacts every string of a JSON report in place, except the values
    /// of vocabulary keys such as `id` and `severity`.
    pub fn value(&mut self, v: &mut Value) {
        match v {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.value(i)),
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    if !KEPT_KEYS.contains(&key.as_str()) {
                        self.value(item);
                    }
                }
            }
            _ => {}
        }
    }

    fn pseudonym(&mut self, original: &str) -> String {
        if let Some(name) = self.names.get(original) {
            return name.clone();
        }
        let name = match original.split_once('@') {
            Some(("", domain)) => {
                format!("@{}", self.pseudonym_of_kind(domain, Kind::Domain))
            }
            Some((_, domain)) => {
                let domain = self.pseudonym_of_kind(domain, Kind::Domain);
                let n = self.next(Kind::Address);
                format!("addr-{n}@{domain}")
            }
            None => {
                let kind =
                    self.known.get(original).copied().unwrap_or(Kind::Host);
                self.pseudonym_of_kind(original, kind)
            }
        };
        self.names.insert(original.to_string(), name.clone());
        name
    }

    fn pseudonym_of_kind(&mut self, original: &str, kind: Kind) -> String {
        let key = original.to_ascii_lowercase();
        if let Some(name) = self.names.get(&key) {
            return name.clone();
        }
        let n = self.next(kind);
        let name = match kind {
            Kind::Domain => format!("domain-{n}.example"),
            _ => format!("host-{n}"),
        };
        self.names.insert(key, name.clone());
        name
    }

    fn next(&mut self, kind: Kind) -> usize {
        let i = kind as usize;
        self.counts[i] += 1;
        self.counts[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(known: &[(&str, Kind)]) -> Redactor {
        Redactor::with_known(
            known.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        )
    }

    #[test]
    fn addresses_hosts_and_ips_are_replaced() {
        let mut r = redactor(&[("mx1.corp.example", Kind::Host)]);
        let out = r.text(
            "sender=<Alice@Corp.Example> mta=[mx1.corp.example] \
             remote=10.1.2.3:25 message_id=<1.2@mail.corp.example>",
        );
        assert!(!out.contains("Alice") && !out.contains("corp"), "{out}");
        assert!(!out.contains("10.1.2.3"), "{out}");
        assert!(out.contains("addr-1@domain-1.example"), "{out}");
        assert!(out.contains("[host-1]"), "{out}");
        assert!(out.contains(":25"), "ports are kept: {out}");
    }

    #[test]
    fn pseudonyms_are_stable() {
        let mut r = redactor(&[("mx1.corp.example", Kind::Host)]);
        let a = r.text("mx1.corp.example refused; 10.0.0.9 too");
        let b = r.text("again mx1.corp.example and 10.0.0.9");
        assert_eq!(a, "host-1 refused; host-2 too");
        assert_eq!(b, "again host-1 and host-2");
    }

    #[test]
    fn vocabulary_is_kept() {
        let mut r = redactor(&[]);
        let out =
            r.text("421 4.4.1 Fatal: Forwarding agent unavailable. code=541");
        assert_eq!(
            out,
            "421 4.4.1 Fatal: Forwarding agent unavailable. code=541"
        );
        let mut v =
            serde_json::json!({"id": "slow-downstream", "text": "a@b.c"});
        r.value(&mut v);
        assert_eq!(v["id"], "slow-downstream");
        assert_ne!(v["text"], "a@b.c");
    }

    #[test]
    fn html_in_addresses_does_not_survive() {
        let mut r = redactor(&[]);
        let out = r.text("<script>x</script>@evil.example");
        assert!(!out.contains("evil"), "{out}");
    }
}
