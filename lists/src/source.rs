//! Reading list files from disk: decompression (.gz, .bz2, .zip), size
//! limits, the SHA-256 digest of the raw inputs, and the context a format
//! parser reports warnings into.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::ListError;
use crate::report::LoadWarning;

/// The largest decompressed file a loader accepts. The largest published
/// list read here, OFAC's sdn_advanced.xml, is about 121 MB.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The longest single field (CSV cell, XML text node) a loader accepts;
/// a longer one means a broken quote or a file of another kind.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// One input file, decompressed into memory.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    /// The file name used in warnings: the path as given, and for a zip
    /// member "archive.zip!member.csv".
    pub name: String,
    /// The decompressed content.
    pub bytes: Vec<u8>,
    /// SHA-256 of the raw bytes on disk, before decompression.
    pub raw_sha256: [u8; 32],
}

impl InputFile {
    /// Reads a file, decompressing it by its extension (.gz, .bz2) or, for
    /// .zip, taking its only member (or the member named `member`).
    pub fn read(path: &Path) -> Result<InputFile, ListError> {
        let raw = read_raw(path)?;
        let raw_sha256: [u8; 32] = Sha256::digest(&raw).into();
        let name = path.display().to_string();
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        let (name, bytes) = match extension.as_deref() {
            Some("gz") => (
                name,
                decompress(path, flate2::read::MultiGzDecoder::new(&raw[..]))?,
            ),
            Some("bz2") => (
                name,
                decompress(path, bzip2::read::MultiBzDecoder::new(&raw[..]))?,
            ),
            Some("zip") => read_zip_member(path, &raw)?,
            _ => (name, raw),
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0x1a) {
            return Err(ListError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(InputFile {
            path: path.to_path_buf(),
            name,
            bytes,
            raw_sha256,
        })
    }

    /// Builds an input from bytes already in memory, named `name` in
    /// warnings and errors. The bytes are taken as already decompressed.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> InputFile {
        InputFile {
            path: PathBuf::from(name),
            name: name.to_string(),
            raw_sha256: Sha256::digest(&bytes).into(),
            bytes,
        }
    }

    /// The file name without compression extensions, lower-cased, for
    /// format detection ("sdn_advanced.xml.bz2" gives "sdn_advanced.xml").
    pub fn logical_name(&self) -> String {
        let base = self
            .name
            .rsplit(['/', '\\', '!'])
            .next()
            .unwrap_or(&self.name)
            .to_ascii_lowercase();
        for suffix in [".gz", ".bz2", ".zip"] {
            if let Some(stripped) = base.strip_suffix(suffix) {
                return stripped.to_string();
            }
        }
        base
    }
}

fn read_raw(path: &Path) -> Result<Vec<u8>, ListError> {
    let io_error = |source| ListError::Io {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if metadata.len() > MAX_FILE_BYTES {
        return Err(ListError::Invalid {
            path: path.to_path_buf(),
            format: "list",
            reason: format!(
                "file is {} bytes, over the limit of {MAX_FILE_BYTES}",
                metadata.len()
            ),
        });
    }
    std::fs::read(path).map_err(io_error)
}

fn decompress(path: &Path, reader: impl Read) -> Result<Vec<u8>, ListError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ListError::Decompress {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ListError::Decompress {
            path: path.to_path_buf(),
            reason: format!("decompressed size is over the limit of {MAX_FILE_BYTES} bytes"),
        });
    }
    Ok(bytes)
}

fn read_zip_member(path: &Path, raw: &[u8]) -> Result<(String, Vec<u8>), ListError> {
    let zip_error = |reason: String| ListError::Decompress {
        path: path.to_path_buf(),
        reason,
    };
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(raw)).map_err(|e| zip_error(e.to_string()))?;
    let members: Vec<usize> = (0..archive.len())
        .filter(|&i| {
            archive
                .by_index(i)
                .map(|f| f.is_file() && !f.name().starts_with("__MACOSX"))
                .unwrap_or(false)
        })
        .collect();
    let index = match members.as_slice() {
        [only] => *only,
        [] => return Err(zip_error("the archive contains no file".into())),
        _ => {
            return Err(zip_error(format!(
                "the archive contains {} files; a list archive must contain exactly one",
                members.len()
            )))
        }
    };
    let member = archive
        .by_index(index)
        .map_err(|e| zip_error(e.to_string()))?;
    let name = format!("{}!{}", path.display(), member.name());
    let bytes = decompress(path, member)?;
    Ok((name, bytes))
}

/// Lower-case hex SHA-256 over the raw digests of the given files, in order.
/// Loading the same files gives the same digest.
pub fn digest_of(files: &[InputFile]) -> String {
    if let [only] = files {
        return hex::encode(only.raw_sha256);
    }
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.raw_sha256);
    }
    hex::encode(hasher.finalize())
}

/// Where a parser records what it could not use while it reads.
#[derive(Debug, Default)]
pub struct LoadContext {
    pub warnings: Vec<LoadWarning>,
    /// Publication date found in the file, "YYYY-MM-DD".
    pub published: Option<String>,
}

impl LoadContext {
    /// Records a warning for a row or element that was skipped or partly used.
    pub fn warn(&mut self, file: &str, location: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(LoadWarning {
            file: file.to_string(),
            location: location.into(),
            message: message.into(),
        });
    }
}

/// Decodes text that is UTF-8 (with or without a byte order mark) or, failing
/// that, Windows-1252, as OFAC's legacy CSV files are. A trailing 0x1A
/// (DOS end-of-file) byte is dropped.
pub fn decode_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let mut bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    while let Some(rest) = bytes.strip_suffix(b"\x1a") {
        bytes = rest;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_gzip_and_plain_alike() {
        let dir = tempfile::tempdir().expect("temp dir");
        let plain = dir.path().join("list.csv");
        std::fs::write(&plain, b"a,b\n1,2\n").expect("write");
        let gz = dir.path().join("list.csv.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"a,b\n1,2\n").expect("compress");
        std::fs::write(&gz, encoder.finish().expect("finish")).expect("write");

        let plain = InputFile::read(&plain).expect("plain reads");
        let gz = InputFile::read(&gz).expect("gzip reads");
        assert_eq!(plain.bytes, gz.bytes);
        assert_eq!(gz.logical_name(), "list.csv");
        assert_ne!(plain.raw_sha256, gz.raw_sha256);
    }

    #[test]
    fn empty_file_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("empty.csv");
        std::fs::write(&path, b"  \n").expect("write");
        let error = InputFile::read(&path).expect_err("empty file");
        assert!(matches!(error, ListError::Empty { .. }), "{error}");
    }

    #[test]
    fn corrupt_gzip_names_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("broken.csv.gz");
        std::fs::write(&path, b"not gzip at all").expect("write");
        let error = InputFile::read(&path).expect_err("corrupt gzip");
        assert!(error.to_string().contains("broken.csv.gz"), "{error}");
    }

    #[test]
    fn windows_1252_text_decodes() {
        let text = decode_text(b"Jos\xe9\x1a");
        assert_eq!(text, "José");
    }
}
