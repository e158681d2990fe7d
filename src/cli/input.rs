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
    analysis: &mut Analysis,
    on_chunk: &mut OnChunk<'_>,
) -> io::Result<()> {
    let name = path.display().to_string();
    let file = File::open(path)?;
    let size = file.metadata().ok().map(|m| m.len());
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        return read_zip(file, &name, analysis, on_chunk);
    }
    if lower.ends_with(".gz") {
        let display =
            name.strip_suffix(".gz").unwrap_or(&name).to_string() + ".gz";
        return read_stream(
            MultiGzDecoder::new(file),
            &display,
            None,
            analysis,
            on_chunk,
        );
    }
    read_stream(file, &name, size, analysis, on_chunk)
}

fn read_stream(
    mut reader: impl Read,
    name: &str,
    size: Option<u64>,
    analysis: &mut Analysis,
    on_chunk: &mut OnChunk<'_>,
) -> io::Result<()> {
    analysis.begin_file(name);
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
    analysis: &mut Analysis,
    on_chunk: &mut OnChunk<'_>,
) -> io::Result<()> {
    let mut archive =
        zip::ZipArchive::new(io::BufReader::new(file)).map_err(zip_error)?;
    let mut names: Vec<String> =
        archive.file_names().map(str::to_string).collect();
    names.sort();
    for inner in names {
        let entry = archive.by_name(&inner).map_err(zip_error)?;
        if entry.is_dir() || !is_log_like(&inner) {
            continue;
        }
        let size = Some(entry.size());
        let full = format!("{name}/{inner}");
        if inner.to_ascii_lowercase().ends_with(".gz") {
            read_stream(
                MultiGzDecoder::new(entry),
                &full,
                None,
                analysis,
                on_chunk,
            )?;
        } else {
            read_stream(entry, &full, size, analysis, on_chunk)?;
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
