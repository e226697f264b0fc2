//! One XML record read whole: its elements stored flat in a reusable
//! vector, so reading a record allocates almost nothing once the vector
//! has grown to the size of the largest record.

use std::borrow::Cow;

/// The start tag of an element: its name and attributes, unparsed.
#[derive(Debug, Clone)]
pub(crate) struct Tag<'a> {
    /// The text between `<` and `>` (or `/>`): the name, then attributes.
    pub(super) text: Cow<'a, str>,
    /// The offset of the local name in `text`, after any prefix.
    pub(super) local_start: usize,
    pub(super) name_len: usize,
}

impl<'a> Tag<'a> {
    /// Builds a tag from the text between `<` and `>`.
    pub(super) fn new(text: Cow<'a, str>, name_len: usize) -> Tag<'a> {
        let local_start = text.as_bytes()[..name_len]
            .iter()
            .rposition(|&b| b == b':')
            .map_or(0, |colon| colon + 1);
        Tag {
            text,
            local_start,
            name_len,
        }
    }

    /// The local name, without any namespace prefix.
    pub fn name(&self) -> &str {
        &self.text[self.local_start..self.name_len]
    }

    /// The local name, borrowed from the input when the tag is.
    pub(super) fn local_name(&self) -> Cow<'a, str> {
        match &self.text {
            Cow::Borrowed(text) => Cow::Borrowed(&text[self.local_start..self.name_len]),
            Cow::Owned(_) => Cow::Owned(self.name().to_string()),
        }
    }

    /// The value of the attribute with this local name, entities resolved.
    pub fn attr(&self, local_name: &str) -> Option<Cow<'_, str>> {
        let text = &self.text[self.name_len..];
        let bytes = text.as_bytes();
        let mut position = 0;
        loop {
            // Each attribute is `name = "value"` or `name = 'value'`.
            let equals = position + bytes[position..].iter().position(|&b| b == b'=')?;
            let name = text[position..equals].trim();
            let mut open = equals + 1;
            while bytes.get(open).is_some_and(u8::is_ascii_whitespace) {
                open += 1;
            }
            let quote = *bytes.get(open).filter(|q| matches!(q, b'"' | b'\''))?;
            let close = open + 1 + bytes[open + 1..].iter().position(|&b| b == quote)?;
            let local = name.rfind(':').map_or(name, |colon| &name[colon + 1..]);
            if local == local_name {
                return quick_xml::escape::unescape(&text[open + 1..close]).ok();
            }
            position = close + 1;
        }
    }
}

/// No node: the end of a sibling chain or an element without children.
const NONE: u32 = u32::MAX;

#[derive(Debug)]
struct Node<'a> {
    tag: Tag<'a>,
    text: Cow<'a, str>,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
}

/// The elements of one record, root first. Reused from record to record.
#[derive(Debug, Default)]
pub(crate) struct XmlTree<'a> {
    nodes: Vec<Node<'a>>,
}

impl<'a> XmlTree<'a> {
    /// Empties the tree and adds `tag` as its root.
    pub(super) fn start(&mut self, tag: Tag<'a>) {
        self.nodes.clear();
        self.nodes.push(Node::new(tag));
    }

    /// Adds an element as the last child of `parent` and returns its index.
    pub(super) fn add_child(&mut self, parent: u32, tag: Tag<'a>) -> u32 {
        let index = u32::try_from(self.nodes.len()).unwrap_or(NONE);
        self.nodes.push(Node::new(tag));
        let parent = &mut self.nodes[parent as usize];
        let previous = parent.last_child;
        parent.last_child = index;
        if previous == NONE {
            parent.first_child = index;
        } else {
            self.nodes[previous as usize].next_sibling = index;
        }
        index
    }

    /// The text of element `index`, to append to.
    pub(super) fn text_mut(&mut self, index: u32) -> &mut Cow<'a, str> {
        &mut self.nodes[index as usize].text
    }

    pub(super) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The root element.
    pub fn root(&self) -> XmlElement<'_, 'a> {
        XmlElement {
            tree: self,
            index: 0,
        }
    }
}

impl<'a> Node<'a> {
    fn new(tag: Tag<'a>) -> Node<'a> {
        Node {
            tag,
            text: Cow::Borrowed(""),
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
        }
    }
}

/// An element of an [`XmlTree`]: its name, attributes, own text (not its
/// children's, entities resolved) and child elements.
#[derive(Debug, Clone, Copy)]
pub(crate) struct XmlElement<'t, 'a> {
    tree: &'t XmlTree<'a>,
    index: u32,
}

impl<'t, 'a> XmlElement<'t, 'a> {
    fn node(self) -> &'t Node<'a> {
        &self.tree.nodes[self.index as usize]
    }

    /// The local name, without any namespace prefix.
    pub fn name(self) -> &'t str {
        self.node().tag.name()
    }

    /// The value of the attribute with this local name, entities resolved.
    pub fn attr(self, local_name: &str) -> Option<Cow<'t, str>> {
        self.node().tag.attr(local_name)
    }

    /// The element's own text, untrimmed.
    pub fn text(self) -> &'t str {
        &self.node().text
    }

    /// The trimmed text, or `None` when it is empty.
    pub fn value(self) -> Option<&'t str> {
        Some(self.text().trim()).filter(|t| !t.is_empty())
    }

    /// The child elements, in document order.
    pub fn children(self) -> Children<'t, 'a, 'static> {
        Children {
            tree: self.tree,
            next: self.node().first_child,
            name: None,
        }
    }

    /// The children with this local name, in document order.
    pub fn children_named<'n>(self, name: &'n str) -> Children<'t, 'a, 'n> {
        Children {
            tree: self.tree,
            next: self.node().first_child,
            name: Some(name),
        }
    }

    /// The first child with this local name.
    pub fn child(self, name: &str) -> Option<XmlElement<'t, 'a>> {
        self.children_named(name).next()
    }

    /// The trimmed text of the first child with this name, if not empty.
    pub fn child_value(self, name: &str) -> Option<&'t str> {
        self.child(name).and_then(XmlElement::value)
    }
}

/// Iterates over child elements, all of them or those with one name.
pub(crate) struct Children<'t, 'a, 'n> {
    tree: &'t XmlTree<'a>,
    next: u32,
    name: Option<&'n str>,
}

impl<'t, 'a> Iterator for Children<'t, 'a, '_> {
    type Item = XmlElement<'t, 'a>;

    fn next(&mut self) -> Option<XmlElement<'t, 'a>> {
        while self.next != NONE {
            let element = XmlElement {
                tree: self.tree,
                index: self.next,
            };
            self.next = element.node().next_sibling;
            if self.name.is_none_or(|name| element.name() == name) {
                return Some(element);
            }
        }
        None
    }
}
