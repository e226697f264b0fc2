//! A pull reader over XML list files that hands whole records to the
//! format parsers.
//!
//! A parser walks start tags with [`XmlReader::next_start`] and, for each
//! record it wants (one `<INDIVIDUAL>`, one `<DistinctParty>`), reads the
//! record whole with [`XmlReader::read_children`] into an [`XmlTree`] that
//! it reuses from record to record. Names are matched by local name, so a change of
//! namespace or prefix does not break a parser. Text borrows from the input
//! where it can, which keeps a 121 MB file fast to read.
//!
//! Errors name the file, the element path and the byte offset: a file that
//! ends inside an open element is reported as truncated.

use std::borrow::Cow;
use std::path::Path;

mod tree;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use crate::error::ListError;
use crate::source::{InputFile, MAX_FIELD_BYTES};

pub(crate) use tree::{Tag, XmlElement, XmlTree};

/// The text of an XML file: UTF-8 (with or without a byte order mark)
/// unless the XML declaration names another encoding that `encoding_rs`
/// supports. Bytes invalid in that encoding are an error naming their offset.
pub(crate) fn decoded_xml<'f>(
    file: &'f InputFile,
    format: &'static str,
) -> Result<Cow<'f, str>, ListError> {
    let invalid = |reason: String| ListError::Invalid {
        path: file.path.clone(),
        format,
        reason,
    };
    let bytes = file
        .bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&file.bytes);
    let encoding = declared_encoding(bytes).unwrap_or(encoding_rs::UTF_8);
    if encoding != encoding_rs::UTF_8 {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        if had_errors {
            return Err(invalid(format!(
                "the text is not valid {}",
                encoding.name()
            )));
        }
        return Ok(text);
    }
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        invalid(format!(
            "the text is not valid UTF-8 at byte {}; the file is damaged or in another encoding",
            e.valid_up_to()
        ))
    })
}

/// The encoding named in `<?xml ... encoding="..."?>`, if any.
fn declared_encoding(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(200)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let declaration = std::str::from_utf8(&head[..end]).ok()?;
    let after = &declaration[declaration.find("encoding")? + "encoding".len()..];
    let value = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next()?;
    let label = value[1..].split(quote).next()?;
    encoding_rs::Encoding::for_label(label.as_bytes())
}

/// The deepest element nesting accepted. List files nest about ten
/// levels; a deeper file is not a list, and the limit keeps dropping a
/// tree from recursing without bound.
const MAX_DEPTH: usize = 64;

/// The maximum number of elements in one record. The largest DistinctParty of
/// OFAC's list of 2025-11-19 has 786; the limit stops a damaged file from
/// filling memory one record at a time.
const MAX_RECORD_ELEMENTS: usize = 1_000_000;

/// A start tag returned by [`XmlReader::next_start`].
#[derive(Debug)]
pub(crate) struct XmlStart<'a> {
    pub tag: Tag<'a>,
    /// 1 for the root element.
    pub depth: usize,
    /// True for `<tag/>`, which has no content to read.
    pub empty: bool,
}

/// Streams start tags out of an XML document held in memory.
pub(crate) struct XmlReader<'a> {
    reader: Reader<&'a [u8]>,
    input: &'a str,
    path: &'a Path,
    format: &'static str,
    /// Local names of the open elements, root first.
    open: Vec<Cow<'a, str>>,
    /// Tree indices of the open elements of the record being read.
    record_stack: Vec<u32>,
    seen_root: bool,
}

impl<'a> XmlReader<'a> {
    /// Starts reading `input`, the decoded text of the file at `path`.
    pub fn new(input: &'a str, path: &'a Path, format: &'static str) -> XmlReader<'a> {
        let mut reader = Reader::from_str(input);
        reader.config_mut().check_end_names = true;
        XmlReader {
            reader,
            input,
            path,
            format,
            open: Vec::new(),
            record_stack: Vec::new(),
            seen_root: false,
        }
    }

    /// The path of the open elements, such as "/Sanctions/DistinctParties".
    pub fn path(&self) -> String {
        let mut path = String::new();
        for name in &self.open {
            path.push('/');
            path.push_str(name);
        }
        path
    }

    /// An error about the file at the current position.
    pub fn invalid(&self, reason: impl std::fmt::Display) -> ListError {
        ListError::Invalid {
            path: self.path.to_path_buf(),
            format: self.format,
            reason: format!(
                "{reason} (at byte {} in {})",
                self.reader.buffer_position(),
                self.location()
            ),
        }
    }

    fn location(&self) -> String {
        if self.open.is_empty() {
            "the document".to_string()
        } else {
            format!("element {}", self.path())
        }
    }

    /// Reads on to the next start tag, entering it unless it is empty.
    /// Returns `None` at the end of the document.
    pub fn next_start(&mut self) -> Result<Option<XmlStart<'a>>, ListError> {
        loop {
            match self.read_event()? {
                Event::Start(start) => {
                    let tag = self.tag_of(&start)?;
                    self.push(tag.local_name())?;
                    let depth = self.open.len();
                    return Ok(Some(XmlStart {
                        tag,
                        depth,
                        empty: false,
                    }));
                }
                Event::Empty(start) => {
                    let tag = self.tag_of(&start)?;
                    self.check_root(tag.name())?;
                    return Ok(Some(XmlStart {
                        tag,
                        depth: self.open.len() + 1,
                        empty: true,
                    }));
                }
                Event::End(_) => {
                    self.open.pop();
                }
                Event::Eof => return self.finish().map(|()| None),
                Event::Text(text)
                    if self.open.is_empty() && !text.iter().all(u8::is_ascii_whitespace) =>
                {
                    return Err(self.invalid("text outside the root element"));
                }
                Event::CData(_) | Event::GeneralRef(_) if self.open.is_empty() => {
                    return Err(self.invalid("text outside the root element"));
                }
                _ => {}
            }
        }
    }

    /// Reads the content of `start` (returned by [`Self::next_start`]) up
    /// to its end tag into `tree`, and returns the whole element.
    pub fn read_children<'t>(
        &mut self,
        start: XmlStart<'a>,
        tree: &'t mut XmlTree<'a>,
    ) -> Result<XmlElement<'t, 'a>, ListError> {
        tree.start(start.tag);
        if start.empty {
            return Ok(tree.root());
        }
        self.record_stack.clear();
        self.record_stack.push(0);
        loop {
            let Some(&current) = self.record_stack.last() else {
                return Ok(tree.root());
            };
            match self.read_event()? {
                Event::Start(start) => {
                    let tag = self.tag_of(&start)?;
                    self.push(tag.local_name())?;
                    let child = tree.add_child(current, tag);
                    self.record_stack.push(child);
                }
                Event::Empty(start) => {
                    let tag = self.tag_of(&start)?;
                    tree.add_child(current, tag);
                }
                Event::End(_) => {
                    self.open.pop();
                    self.record_stack.pop();
                }
                Event::Text(text) => {
                    // Indentation between child elements is the most
                    // common text; skip it before decoding anything.
                    let starts_text = tree.text_mut(current).is_empty();
                    if starts_text && text.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let content = text.decode().map_err(|e| self.invalid(e))?;
                    self.append_text(tree.text_mut(current), normalize_line_ends(content))?;
                }
                Event::CData(data) => {
                    let content = data.decode().map_err(|e| self.invalid(e))?;
                    self.append_text(tree.text_mut(current), content)?;
                }
                Event::GeneralRef(reference) => {
                    let resolved = self.resolve_reference(&reference)?;
                    self.append_text(tree.text_mut(current), resolved)?;
                }
                Event::Eof => {
                    self.finish()?;
                    return Err(self.invalid("the file ends inside an element"));
                }
                _ => {}
            }
            if tree.len() > MAX_RECORD_ELEMENTS {
                return Err(self.invalid(format!(
                    "one record holds more than {MAX_RECORD_ELEMENTS} elements"
                )));
            }
        }
    }

    fn read_event(&mut self) -> Result<Event<'a>, ListError> {
        self.reader.read_event().map_err(|error| {
            let position = self.reader.error_position();
            // Every syntax error quick-xml reports is markup left open at
            // the end of the input.
            let hint = match error {
                quick_xml::Error::Syntax(_) => "; the file is truncated, download it again",
                _ => "",
            };
            ListError::Invalid {
                path: self.path.to_path_buf(),
                format: self.format,
                reason: format!(
                    "XML syntax error at byte {position} in {}: {error}{hint}",
                    self.location()
                ),
            }
        })
    }

    /// At the end of the input every element must be closed.
    fn finish(&self) -> Result<(), ListError> {
        if !self.open.is_empty() {
            return Err(ListError::Invalid {
                path: self.path.to_path_buf(),
                format: self.format,
                reason: format!(
                    "the file ends at byte {} inside element {}; it is truncated, download it again",
                    self.input.len(),
                    self.path()
                ),
            });
        }
        if !self.seen_root {
            return Err(self.invalid("no root element"));
        }
        Ok(())
    }

    fn push(&mut self, name: Cow<'a, str>) -> Result<(), ListError> {
        self.check_root(&name)?;
        if self.open.len() >= MAX_DEPTH {
            return Err(self.invalid(format!("elements nest deeper than {MAX_DEPTH} levels")));
        }
        self.open.push(name);
        Ok(())
    }

    /// A document has one root element.
    fn check_root(&mut self, name: &str) -> Result<(), ListError> {
        if self.open.is_empty() {
            if self.seen_root {
                return Err(self.invalid(format!("a second root element <{name}>")));
            }
            self.seen_root = true;
        }
        Ok(())
    }

    /// Builds a tag from a start tag event, borrowing its text from the
    /// input when the reader handed out a slice of it.
    fn tag_of(&self, start: &BytesStart<'_>) -> Result<Tag<'a>, ListError> {
        let raw: &[u8] = start;
        let text = match self.slice_of_input(raw) {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(
                std::str::from_utf8(raw)
                    .map_err(|e| self.invalid(e))?
                    .to_string(),
            ),
        };
        Ok(Tag::new(text, start.name().as_ref().len()))
    }

    /// The same bytes as a `&'a str` of the input, if `raw` lies inside it.
    fn slice_of_input(&self, raw: &[u8]) -> Option<&'a str> {
        let input = self.input;
        let start = (raw.as_ptr() as usize).checked_sub(input.as_ptr() as usize)?;
        input.get(start..start.checked_add(raw.len())?)
    }

    fn append_text(&self, text: &mut Cow<'a, str>, content: Cow<'a, str>) -> Result<(), ListError> {
        if text.is_empty() {
            if !content.trim().is_empty() {
                *text = content;
            }
        } else {
            text.to_mut().push_str(&content);
        }
        if text.len() > MAX_FIELD_BYTES {
            return Err(ListError::Oversized {
                path: self.path.to_path_buf(),
                location: format!("text of element {}", self.path()),
                len: text.len(),
                limit: MAX_FIELD_BYTES,
            });
        }
        Ok(())
    }

    /// Resolves `&amp;`-style and `&#38;`-style references; an unknown
    /// entity is kept as written.
    fn resolve_reference(&self, reference: &BytesRef<'_>) -> Result<Cow<'a, str>, ListError> {
        if let Some(ch) = reference
            .resolve_char_ref()
            .map_err(|e| self.invalid(format!("invalid character reference: {e}")))?
        {
            return Ok(Cow::Owned(ch.to_string()));
        }
        let name = reference.decode().map_err(|e| self.invalid(e))?;
        let resolved = match name.as_ref() {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            other => return Ok(Cow::Owned(format!("&{other};"))),
        };
        Ok(Cow::Borrowed(resolved))
    }
}

/// Turns "\r\n" and a lone "\r" into "\n", as XML 1.0 requires of a parser.
fn normalize_line_ends(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.contains('\r') {
        return text;
    }
    Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &str) -> Result<Vec<String>, ListError> {
        let path = Path::new("test.xml");
        let mut reader = XmlReader::new(input, path, "test");
        let mut tree = XmlTree::default();
        let mut names = Vec::new();
        while let Some(start) = reader.next_start()? {
            if start.depth == 2 {
                let element = reader.read_children(start, &mut tree)?;
                names.push(format!("{}={}", element.name(), element.text()));
            }
        }
        Ok(names)
    }

    #[test]
    fn records_read_with_entities_resolved() {
        let names =
            read_all("<r><a>A &amp; B</a><b x='1'/><c><![CDATA[<x>]]></c></r>").expect("valid XML");
        assert_eq!(names, vec!["a=A & B", "b=", "c=<x>"]);
    }

    #[test]
    fn line_ends_are_normalized() {
        let names = read_all("<r><a>one\r\ntwo\rthree</a></r>").expect("valid XML");
        assert_eq!(names, vec!["a=one\ntwo\nthree"]);
    }

    #[test]
    fn prefixed_names_match_by_local_name() {
        let input = r#"<ns:r xmlns:ns="urn:x"><ns:a ns:id="7">t</ns:a></ns:r>"#;
        let path = Path::new("test.xml");
        let mut reader = XmlReader::new(input, path, "test");
        let root = reader.next_start().expect("read").expect("root");
        assert_eq!(root.tag.name(), "r");
        let a = reader.next_start().expect("read").expect("child");
        let mut tree = XmlTree::default();
        let a = reader.read_children(a, &mut tree).expect("read child");
        assert_eq!(a.name(), "a");
        assert_eq!(a.attr("id").as_deref(), Some("7"));
    }

    #[test]
    fn attributes_read_by_local_name() {
        let input = r#"<r a="1" ns:b = '2 &amp; 3' c="x'y"/>"#;
        let mut reader = XmlReader::new(input, Path::new("t.xml"), "test");
        let root = reader.next_start().expect("read").expect("root").tag;
        assert_eq!(root.attr("a").as_deref(), Some("1"));
        assert_eq!(root.attr("b").as_deref(), Some("2 & 3"));
        assert_eq!(root.attr("c").as_deref(), Some("x'y"));
        assert_eq!(root.attr("d"), None);
    }

    #[test]
    fn truncated_file_names_the_open_path() {
        let error = read_all("<r><list><a>text</a><a>more").expect_err("truncated");
        let message = error.to_string();
        assert!(message.contains("truncated"), "{message}");
        assert!(message.contains("/r/list/a"), "{message}");
        assert!(message.contains("test.xml"), "{message}");
    }

    #[test]
    fn mismatched_end_tag_is_an_error() {
        let error = read_all("<r><a>text</b></r>").expect_err("mismatched");
        assert!(error.to_string().contains("XML syntax error"), "{error}");
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let input = "<a>".repeat(MAX_DEPTH + 5);
        let error = read_all(&input).expect_err("too deep");
        assert!(error.to_string().contains("nest deeper"), "{error}");
    }

    #[test]
    fn oversized_text_is_an_error() {
        let input = format!("<r><a>{}</a></r>", "x".repeat(MAX_FIELD_BYTES + 1));
        let error = read_all(&input).expect_err("oversized");
        assert!(matches!(error, ListError::Oversized { .. }), "{error}");
    }

    #[test]
    fn invalid_utf8_names_the_offset() {
        let file = InputFile::from_bytes("bad.xml", b"<r>caf\xe9</r>".to_vec());
        let error = decoded_xml(&file, "test").expect_err("invalid UTF-8");
        assert!(error.to_string().contains("byte 6"), "{error}");
        assert!(error.to_string().contains("bad.xml"), "{error}");
    }

    #[test]
    fn declared_latin1_decodes() {
        let bytes = b"<?xml version='1.0' encoding='ISO-8859-1'?><r>caf\xe9</r>".to_vec();
        let file = InputFile::from_bytes("latin.xml", bytes);
        let text = decoded_xml(&file, "test").expect("declared encoding");
        assert!(text.ends_with("<r>café</r>"));
    }

    #[test]
    fn second_root_is_an_error() {
        let error = read_all("<r/><r/>").expect_err("two roots");
        assert!(error.to_string().contains("second root"), "{error}");
    }
}
