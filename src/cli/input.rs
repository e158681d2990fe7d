//! Reading the paths the user gave: plain files, `.gz`, `.zip` bundles
//! (with folders inside) and folders, each fed to the analysis in chunks.
//!
//! A file inside a bundle is named `bundle.zip/inner/path.log`, so the
//! report says exactly where a line came from.

use flate2::read::MultiGzDecoder;
use npe_lens::analysis::Progress;
use npe_lens::Analysis;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Bytes read from disk at a time: large enough to keep the parser busy,
/// small enough that memory does not follow the file size.
pub const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Plain files at least this large are read through a memory map, one
/// window of this many bytes at a time. Reading a cached gigabyte with
/// `read` took a sixth of the analysis time here, copying at little over
/// half the speed `dd` manages alone; the map takes the pages as they are.
/// The window keeps the mapped part, which counts as resident memory,
/// from following the file size. A multiple of every page size.
const MAP_WINDOW_BYTES: u64 = 16 * 1024 * 1024;

/// Called after each chunk with the input's name, the bytes of it read so
/// far, its size if known, and the analysis's progress.
pub type OnChunk<'a> = dyn FnMut(&str, u64, Option<u64>, Progress) + 'a;

/// Expands folders into the files they hold, sorted by path.
///
/// # Errors
///
/// Fails when a path does not exist or a folder cannot be listed.
pub fn expand(paths: &[PathBuf]) -> Vec<Result<PathBuf, (PathBuf, io::Error)>> {
    let mut out = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut out),
            Ok(_) => out.push(Ok(path.clone())),
            Err(e) => out.push(Err((path.clone(), e))),
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<Result<PathBuf, (PathBuf, io::Error)>>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return out.push(Err((dir.to_path_buf(), e))),
    };
    let mut paths: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else if is_log_like(&path.to_string_lossy()) {
            out.push(Ok(path));
        }
    }
}

/// Whether a file found in a folder or bundle looks like a log or a
/// container of logs: `*.log`, `*.log.N`, `*.txt`, `*.gz`, `*.zip`.
fn is_log_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains(".log")
        || lower.ends_with(".txt")
        || lower.ends_with(".gz")
        || lower.ends_with(".zip")
}

/// Reads one path into the analysis.
///
/// # Errors
///
/// Fails when the file cannot be opened or read, or a bundle is damaged;
/// what was read before the failure stays in the analysis.
pub fn read_path(
    path: &Path,
    last: bool,
    analysis: &mut Analysis,
    on_chunk: &mut OnChunk<'_>,
) -> io::Result<()> {
    let name = path.display().to_string();
    let file = File::open(path)?;
    let size = file.metadata().ok().map(|m| m.len());
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        return read_zip(file, &name, last, analysis, on_chunk);
    }
    if lower.ends_with(".gz") {
        let display =
            name.strip_suffix(".gz").unwrap_or(&name).to_string() + ".gz";
        return read_stream(
            MultiGzDecoder::new(file),
            &display,
            None,
            last,
            analysis,
            on_chunk,
        );
    }
    if size.is_some_and(|n| n >= MAP_WINDOW_BYTES) {
        return read_mapped(
            file,
            &name,
            size,
            MAP_WINDOW_BYTES,
            last,
            analysis,
            on_chunk,
        );
    }
    read_stream(file, &name, size, last, analysis, on_chunk)
}

/// Begins `name`, telling the analysis whether any file follows it.
fn begin(analysis: &mut Analysis, name: &str, last: bool) {
    if last {
        analysis.begin_last_file(name);
    } else {
        analysis.begin_file(name);
    }
}

/// Reads a plain file window by window through a memory map, or with
/// [`read_stream`] where the file cannot be mapped.
fn read_mapped(
    file: File,
    name: &str,
    size: Option<u64>,
    window: u64,
    last: bool,
    analysis: &mut Analysis,
    on_chunk: &mut OnChunk<'_>,
) -> io::Result<()> {
    let Ok(first) = map_window(&file, 0, window) else {
        return read_stream(file, name, size, last, analysis, on_chunk);
    };
    begin(analysis, name, last);
    let mut mapped = first;
    let mut done = 0u64;
    let result = loop {
        let Some((map, size)) = mapped else { break Ok(()) };
        for chunk in map.chunks(CHUNK_BYTES) {
            analysis.feed(chunk);
            done += chunk.len() as u64;
            on_chunk(name, done, Some(size), analysis.progress());
        }
        match map_window(&file, done, window) {
            Ok(next) => mapped = next,
            Err(e) => break Err(e),
        }
    };
    analysis.end_file();
    result
}

/// Maps at most `window` bytes of `file` from `offset` on, with the
/// file's length; `None` at the end of the file. `offset` and `window`
/// are multiples of the page size.
///
/// A file that shrinks under a map makes reading the lost pages fault
/// the process, so the length is asked afresh for each window and only
/// what is there then is mapped; a file that grows is read to its new
/// end, as [`read_stream`] would.
fn map_window(
    file: &File,
    offset: u64,
    window: u64,
) -> io::Result<Option<(memmap2::Mmap, u64)>> {
    let size = file.metadata()?.len();
    if offset >= size {
        return Ok(None);
    }
    let len = (size - offset).min(window) as usize;
    // SAFETY: the mapped bytes must neither shrink away nor change while
    // the map lives. They were all in the file a moment ago, and log
    // writers append past the end and rotate by renaming; they neither
    // truncate nor rewrite in place. A file cut in the middle of a window
    // would end the process rather than give wrong figures.
    let map = unsafe {
        memmap2::MmapOptions::new().offset(offset).len(len).map(file)?
    };
    // Only a hint: read ahead, and the pages behind may go.
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(Some((map, size)))
}

fn read_stream(
    mut reader: impl Read,
    name: &str,
    size: Option<u64>,
    last: bool,
    analysis: &mut Analysis,
    on_chunk: &mut OnChunk<'_>,
) -> io::Result<()> {
    begin(analysis, name, last);
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut done = 0u64;
    let result = loop {
        match reader.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                analysis.feed(&buf[..n]);
                done += n as u64;
                on_chunk(name, done, size, analysis.progress());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(e),
        }
    };
    analysis.end_file();
    result
}

// TODO: A .zip inside a .zip is skipped: a bundle of bundles is rare, and
// reading it needs the inner archive in memory (zip needs to seek). Reading
// inner archives up to a size limit would cover it.
fn read_zip(
    file: File,
    name: &str,
    last: bool,
    analysis: &mut Analysis,
    on_chunk: &mut OnChunk<'_>,
) -> io::Result<()> {
    let mut archive =
        zip::ZipArchive::new(io::BufReader::new(file)).map_err(zip_error)?;
    // Folders are the entries whose names end in a slash. The logs are
    // listed first, so that the last of them is known before it is read.
    let is_dir = |inner: &str| inner.ends_with(['/', '\\']);
    let mut names: Vec<String> = archive
        .file_names()
        .filter(|inner| !is_dir(inner) && is_log_like(inner))
        .map(str::to_string)
        .collect();
    names.sort();
    let count = names.len();
    for (i, inner) in names.into_iter().enumerate() {
        let entry = archive.by_name(&inner).map_err(zip_error)?;
        let size = Some(entry.size());
        let full = format!("{name}/{inner}");
        let last = last && i + 1 == count;
        if inner.to_ascii_lowercase().ends_with(".gz") {
            let gunzipped = MultiGzDecoder::new(entry);
            read_stream(gunzipped, &full, None, last, analysis, on_chunk)?;
        } else {
            read_stream(entry, &full, size, last, analysis, on_chunk)?;
        }
    }
    Ok(())
}

fn zip_error(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a readable zip bundle: {other}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use npe_lens::analysis::Options;
    use npe_lens::Zone;
    use std::io::Write;

    /// The report of one file read by `read`, as JSON.
    fn report_of(read: impl FnOnce(&mut Analysis)) -> serde_json::Value {
        let zone = Zone::parse("UTC").unwrap();
        let mut analysis = Analysis::new(Options { zone });
        read(&mut analysis);
        let data = analysis.finish();
        serde_json::to_value(npe_lens::report_from_dataset(&data)).unwrap()
    }

    #[test]
    fn mapped_windows_read_what_a_stream_reads() {
        // Lines of uneven length, so window ends fall inside lines, and
        // a last line with no newline.
        let mut log = tempfile::NamedTempFile::new().unwrap();
        let mut n = 0;
        while log.as_file().metadata().unwrap().len() < 300_000 {
            n += 1;
            writeln!(
                log,
                "12/Jun/12:{:02}:{:02}:{:02}:410-0500 [INFO] \
                 (SMTP_MESSAGE.1300) Message complete (tid={n} cid={n} \
                 size={} sender=<s@example.com> recipient_count=1 \
                 disposition=PASS code=250 rtime=0.{}s dtime=0.31s \
                 mtime=2.29s)",
                n / 3600 % 24,
                n / 60 % 60,
                n % 60,
                n * 7,
                n % 13,
            )
            .unwrap();
            if n % 5 == 0 {
                writeln!(log, "not a record {}", "x".repeat(n % 97)).unwrap();
            }
        }
        write!(
            log,
            "12/Jun/12:23:59:59:999-0500 [INFO] (SMTP_MESSAGE.1300) \
             Message complete (tid=1 cid=1 rtime=0.1s dtime=0.1s mtime=1s)"
        )
        .unwrap();
        let path = log.path();
        let size = std::fs::metadata(path).unwrap().len();
        let mut chunks = 0;
        let mut last_done = 0;
        let mapped = report_of(|a| {
            let file = File::open(path).unwrap();
            let mut on_chunk = |_: &str, done: u64, _: Option<u64>, _| {
                chunks += 1;
                last_done = done;
            };
            let window = 64 * 1024;
            read_mapped(
                file,
                "log",
                Some(size),
                window,
                true,
                a,
                &mut on_chunk,
            )
            .unwrap();
        });
        let streamed = report_of(|a| {
            let file = File::open(path).unwrap();
            read_stream(file, "log", Some(size), true, a, &mut |_, _, _, _| {})
                .unwrap();
        });
        assert!(chunks >= 5, "{chunks} windows");
        assert_eq!(last_done, size);
        assert_eq!(mapped, streamed);
        let messages = &mapped["totals"]["messages_complete"];
        assert_eq!(messages.as_u64(), Some(n as u64 + 1), "{mapped:#}");
    }
}
