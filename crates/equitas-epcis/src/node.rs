/// A syntax-neutral view of an EPCIS event: the shape the XML binding has,
/// which the JSON binding is brought to. Element names are local names for
/// standard fields and `{namespace}local` for extensions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    pub name: String,
    /// Text content, if any (already trimmed of nothing: trimming is the hash's job).
    pub value: Option<String>,
    pub children: Vec<Node>,
    /// Children that must keep their order (a business transaction, source
    /// or destination: the type comes before the identifier).
    pub ordered: bool,
}

impl Node {
    pub fn leaf(name: impl Into<String>, value: impl Into<String>) -> Self {
        Node {
            name: name.into(),
            value: Some(value.into()),
            ..Default::default()
        }
    }

    pub fn parent(name: impl Into<String>, children: Vec<Node>) -> Self {
        Node {
            name: name.into(),
            children,
            ..Default::default()
        }
    }

    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child called `name`.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(|c| c.value.as_deref())
    }
}
