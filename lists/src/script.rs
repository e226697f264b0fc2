//! The writing system of a name, for sources that give a name in its
//! original script without saying which script it is (the UN's
//! NAME_ORIGINAL_SCRIPT).

/// Returns the ISO 15924 code of the first non-Latin script found in
/// `text`, or "Latn" when every letter is Latin. Returns `None` for text
/// with no letters.
pub fn script_of(text: &str) -> Option<&'static str> {
    let mut saw_latin = false;
    for ch in text.chars().filter(|c| c.is_alphabetic()) {
        match script_of_char(ch) {
            "Latn" => saw_latin = true,
            other => return Some(other),
        }
    }
    saw_latin.then_some("Latn")
}

/// The ISO 15924 code of the Unicode block a letter falls in. Letters of
/// blocks not listed here are reported as "Zyyy" (undetermined).
fn script_of_char(ch: char) -> &'static str {
    match ch as u32 {
        0x0000..=0x024F | 0x1E00..=0x1EFF | 0x2C60..=0x2C7F | 0xA720..=0xA7FF => "Latn",
        0x0370..=0x03FF | 0x1F00..=0x1FFF => "Grek",
        0x0400..=0x052F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F | 0x1C80..=0x1C8F => "Cyrl",
        0x0530..=0x058F => "Armn",
        0x0590..=0x05FF => "Hebr",
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            "Arab"
        }
        0x0700..=0x074F => "Syrc",
        0x0900..=0x097F => "Deva",
        0x0980..=0x09FF => "Beng",
        0x0E00..=0x0E7F => "Thai",
        0x10A0..=0x10FF | 0x2D00..=0x2D2F => "Geor",
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => "Hang",
        0x1200..=0x139F => "Ethi",
        0x1780..=0x17FF => "Khmr",
        0x1000..=0x109F => "Mymr",
        0x3040..=0x309F => "Hira",
        0x30A0..=0x30FF | 0x31F0..=0x31FF => "Kana",
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F => "Hani",
        _ => "Zyyy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_of_list_names() {
        let cases = [
            ("صدام حسين التكريتي", Some("Arab")),
            ("Сергей Иванов", Some("Cyrl")),
            ("김정은", Some("Hang")),
            ("金正恩", Some("Hani")),
            ("José MARTÍ", Some("Latn")),
            ("АО «Газпром» Gazprom", Some("Cyrl")),
            ("12-34", None),
        ];
        for (text, expected) in cases {
            assert_eq!(script_of(text), expected, "{text}");
        }
    }
}
