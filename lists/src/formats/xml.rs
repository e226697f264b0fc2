//! A pull reader over XML list files that hands whole records to the
//! format parsers.
//!
//! A parser walks start tags with [`XmlReader::next_start`] and, for each
//! record it wants (one `<INDIVIDUAL>`, one `<DistinctParty>`), reads the
//! record whole with [`XmlReader::read_children`] into a small
//! [`XmlElement`] tree. Names are matched by local name, so a change of
//! namespace or prefix does not break a parser. Text borrows from the input
//! where it can, which keeps a 121 MB file fast to read.
//!
//! Errors name the file, the element path and the byte offset: a file that
//! ends inside an open element is reported as truncated.

use std::borrow::Cow;
use std::path::Path;

use quick_xml::events::attributes::Attributes;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use crate::error::ListError;
use crate::source::{InputFile, MAX_FIELD_BYTES};

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

/// One element read from the file, with its text and child elements.
#[derive(Debug, Clone)]
pub(crate) struct XmlElement<'a> {
    /// The text between `<` and `>` (or `/>`): the name, then attributes.
    tag: Cow<'a, str>,
    name_len: usize,
    /// The element's own text (not its children's), entities resolved.
    pub text: Cow<'a, str>,
    pub children: Vec<XmlElement<'a>>,
}

impl<'a> XmlElement<'a> {
    /// The local name, without any namespace prefix.
    pub fn name(&self) -> &str {
        let qualified = &self.tag[..self.name_len];
        qualified.rsplit(':').next().unwrap_or(qualified)
    }

    /// The value of the attribute with this local name, entities resolved.
    pub fn attr(&self, local_name: &str) -> Option<Cow<'_, str>> {
        let mut attributes = Attributes::new(&self.tag, self.name_len);
        attributes.with_checks(false);
        for attribute in attributes.flatten() {
            if attribute.key.local_name().as_ref() == local_name.as_bytes() {
                return attribute.unescape_value().ok();
            }
        }
        None
    }

    /// The trimmed text, or `None` when it is empty.
    pub fn value(&self) -> Option<&str> {
        Some(self.text.trim()).filter(|t| !t.is_empty())
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&XmlElement<'a>> {
        self.children.iter().find(|c| c.name() == name)
    }

    /// Every child with this local name, in document order.
    pub fn children_named<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = &'s XmlElement<'a>> + 's {
        self.children.iter().filter(move |c| c.name() == name)
    }

    /// The trimmed text of the first child with this name, if not empty.
    pub fn child_value(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(XmlElement::value)
    }
}

/// A start tag returned by [`XmlReader::next_start`].
#[derive(Debug)]
pub(crate) struct XmlStart<'a> {
    pub element: XmlElement<'a>,
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
    open: Vec<String>,
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
                    let element = self.element_of(&start)?;
                    self.push(element.name().to_string())?;
                    let depth = self.open.len();
                    return Ok(Some(XmlStart {
                        element,
                        depth,
                        empty: false,
                    }));
                }
                Event::Empty(start) => {
                    let element = self.element_of(&start)?;
                    self.check_root(element.name())?;
                    return Ok(Some(XmlStart {
                        element,
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
    /// to its end tag, and returns the whole element.
    pub fn read_children(&mut self, start: XmlStart<'a>) -> Result<XmlElement<'a>, ListError> {
        if start.empty {
            return Ok(start.element);
        }
        let mut stack: Vec<XmlElement<'a>> = vec![start.element];
        loop {
            match self.read_event()? {
                Event::Start(tag) => {
                    let element = self.element_of(&tag)?;
                    self.push(element.name().to_string())?;
                    stack.push(element);
                }
                Event::Empty(tag) => {
                    let element = self.element_of(&tag)?;
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(element);
                    }
                }
                Event::End(_) => {
                    self.open.pop();
                    let Some(done) = stack.pop() else {
                        return Err(self.invalid("unbalanced end tag"));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Event::Text(text) => {
                    let content = text.xml_content().map_err(|e| self.invalid(e))?;
                    self.append_text(&mut stack, content)?;
                }
                Event::CData(data) => {
                    let content = data.decode().map_err(|e| self.invalid(e))?;
                    self.append_text(&mut stack, content)?;
                }
                Event::GeneralRef(reference) => {
                    let resolved = self.resolve_reference(&reference)?;
                    self.append_text(&mut stack, resolved)?;
                }
                Event::Eof => {
                    self.finish()?;
                    return Err(self.invalid("the file ends inside an element"));
                }
                _ => {}
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

    fn push(&mut self, name: String) -> Result<(), ListError> {
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

    /// Builds an element from a start tag, borrowing the tag text from the
    /// input when the reader handed out a slice of it.
    fn element_of(&self, start: &BytesStart<'_>) -> Result<XmlElement<'a>, ListError> {
        let raw: &[u8] = start;
        let tag = match self.slice_of_input(raw) {
            Some(tag) => Cow::Borrowed(tag),
            None => Cow::Owned(
                std::str::from_utf8(raw)
                    .map_err(|e| self.invalid(e))?
                    .to_string(),
            ),
        };
        let name_len = start.name().as_ref().len();
        Ok(XmlElement {
            tag,
            name_len,
            text: Cow::Borrowed(""),
            children: Vec::new(),
        })
    }

    /// The same bytes as a `&'a str` of the input, if `raw` lies inside it.
    fn slice_of_input(&self, raw: &[u8]) -> Option<&'a str> {
        let input = self.input;
        let start = (raw.as_ptr() as usize).checked_sub(input.as_ptr() as usize)?;
        input.get(start..start.checked_add(raw.len())?)
    }

    fn append_text(
        &self,
        stack: &mut [XmlElement<'a>],
        content: Cow<'a, str>,
    ) -> Result<(), ListError> {
        let Some(element) = stack.last_mut() else {
            return Ok(());
        };
        if element.text.is_empty() {
            if !content.trim().is_empty() {
                element.text = content;
            }
        } else {
            element.text.to_mut().push_str(&content);
        }
        if element.text.len() > MAX_FIELD_BYTES {
            return Err(ListError::Oversized {
                path: self.path.to_path_buf(),
                location: format!("text of element {}", self.path()),
                len: element.text.len(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &str) -> Result<Vec<String>, ListError> {
        let path = Path::new("test.xml");
        let mut reader = XmlReader::new(input, path, "test");
        let mut names = Vec::new();
        while let Some(start) = reader.next_start()? {
            if start.depth == 2 {
                let element = reader.read_children(start)?;
                names.push(format!("{}={}", element.name(), element.text));
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
    fn prefixed_names_match_by_local_name() {
        let input = r#"<ns:r xmlns:ns="urn:x"><ns:a ns:id="7">t</ns:a></ns:r>"#;
        let path = Path::new("test.xml");
        let mut reader = XmlReader::new(input, path, "test");
        let root = reader.next_start().expect("read").expect("root");
        assert_eq!(root.element.name(), "r");
        let a = reader.next_start().expect("read").expect("child");
        let a = reader.read_children(a).expect("read child");
        assert_eq!(a.name(), "a");
        assert_eq!(a.attr("id").as_deref(), Some("7"));
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
