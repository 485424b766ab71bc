//! Names turned into identifiers, as Zou's slugify does.

/// Lowercase ASCII words joined by `_` (a descriptor's field name).
pub fn slug(name: &str) -> String {
    words(name, false)
}

/// ASCII words joined by `_`, keeping their case (an asset instance's name).
pub fn slug_keep_case(name: &str) -> String {
    words(name, true)
}

/// The words of a name in ASCII, as python-slugify spells them: accented Latin
/// letters lose their accents, other characters separate words.
fn words(name: &str, keep_case: bool) -> String {
    let mut out = String::new();
    let mut gap = false;
    let chars: Vec<char> = name.replace('\'', "-").chars().collect();
    for (index, c) in chars.iter().enumerate() {
        let between_digits = *c == ','
            && index > 0
            && chars[index - 1].is_ascii_digit()
            && chars.get(index + 1).is_some_and(char::is_ascii_digit);
        if between_digits {
            continue;
        }
        let mut plain = fold(*c);
        if keep_case && c.is_uppercase() {
            plain = plain.to_uppercase();
        }
        if plain.is_empty() {
            gap = true;
            continue;
        }
        for p in plain.chars() {
            if p.is_ascii_alphanumeric() {
                if gap && !out.is_empty() {
                    out.push('_');
                }
                gap = false;
                out.push(if keep_case { p } else { p.to_ascii_lowercase() });
            } else {
                gap = true;
            }
        }
    }
    out
}

/// The ASCII spelling of a character ("" for a separator).
fn fold(c: char) -> String {
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'œ' | 'Œ' => "oe",
        '€' => "EUR",
        c if c.is_ascii_alphanumeric() => return c.to_string(),
        _ => "",
    };
    plain.to_string()
}

#[cfg(test)]
mod tests {
    use super::{slug, slug_keep_case};

    #[test]
    fn field_names_are_lowercase_ascii_words() {
        for (name, field) in [
            ("Rig Notes", "rig_notes"),
            ("Tmp md 3514 (u)", "tmp_md_3514_u"),
            ("Director's note", "director_s_note"),
            ("a_b-c", "a_b_c"),
            ("  --Hello__World--  ", "hello_world"),
            ("Épaisseur", "epaisseur"),
            ("ß straße", "ss_strasse"),
            ("1,000 frames", "1000_frames"),
            ("€ price", "eur_price"),
            ("!!!", ""),
        ] {
            assert_eq!(slug(name), field, "{name}");
        }
    }

    #[test]
    fn instance_names_keep_their_case() {
        for (name, slug) in [
            ("Hero Man", "Hero_Man"),
            ("Épée d'or #2", "Epee_d_or_2"),
            ("A.B", "A_B"),
            ("  a--b  ", "a_b"),
        ] {
            assert_eq!(slug_keep_case(name), slug, "{name}");
        }
    }
}
