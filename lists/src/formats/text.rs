//! Small text helpers shared by the loaders: splitting list cells,
//! numbered enumerations and de-duplicated pushes.

/// Returns the trimmed, non-empty pieces of `text` split at `separator`.
pub(crate) fn split_list(text: &str, separator: char) -> impl Iterator<Item = &str> {
    text.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Returns the trimmed text, or `None` when it is empty.
pub(crate) fn non_empty(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// Appends `item` unless an equal item is already there.
pub(crate) fn push_unique<T: PartialEq>(items: &mut Vec<T>, item: T) {
    if !items.contains(&item) {
        items.push(item);
    }
}

/// Splits a numbered enumeration such as "(1) Tunis (2) - (3) Sousse"
/// into its items, in order. Text without "(1)" is one item. An item
/// written "-" is empty; trailing dots and spaces are trimmed from each.
pub(crate) fn split_enumerated(text: &str) -> Vec<String> {
    let text = text.trim();
    if !text.starts_with("(1)") {
        return vec![clean_item(text)];
    }
    let mut items = Vec::new();
    let mut rest = &text[3..];
    let mut next = 2;
    loop {
        let marker = format!("({next})");
        match rest.find(&marker) {
            Some(at) => {
                items.push(clean_item(&rest[..at]));
                rest = &rest[at + marker.len()..];
                next += 1;
            }
            None => {
                items.push(clean_item(rest));
                return items;
            }
        }
    }
}

fn clean_item(item: &str) -> String {
    let item = item.trim().trim_end_matches(['.', ',', ';']).trim();
    if item == "-" {
        String::new()
    } else {
        item.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_splits_in_order() {
        assert_eq!(
            split_enumerated("(1) Tunis (2) - (3) Sousse."),
            vec!["Tunis", "", "Sousse"]
        );
        assert_eq!(split_enumerated("Damascus"), vec!["Damascus"]);
        assert_eq!(split_enumerated("(1) A (3) B"), vec!["A (3) B"]);
    }

    #[test]
    fn list_drops_empty_pieces() {
        let pieces: Vec<&str> = split_list(" a; ;b ;", ';').collect();
        assert_eq!(pieces, vec!["a", "b"]);
    }
}
