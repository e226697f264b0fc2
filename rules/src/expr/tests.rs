use super::*;

fn top_op(text: &str) -> BinaryOp {
    match parse(text).expect("valid expression").kind {
        ExprKind::Binary { op, .. } => op,
        other => panic!("{text:?} parsed to {other:?}, not a binary operation"),
    }
}

fn column_of_error(text: &str) -> usize {
    parse(text).expect_err("expression should not parse").column
}

#[test]
fn precedence_binds_and_tighter_than_or() {
    assert_eq!(top_op("a or b and c"), BinaryOp::Or);
    assert_eq!(top_op("a and b or c"), BinaryOp::Or);
    assert_eq!(parse("a or b and c"), parse("a or (b and c)"));
    assert_ne!(parse("a or b and c"), parse("(a or b) and c"));
}

#[test]
fn precedence_not_over_comparison() {
    // `not` applies to the whole comparison, and binds tighter than `and`.
    assert_eq!(parse("not a == b"), parse("not (a == b)"));
    assert_eq!(parse("not a and b"), parse("(not a) and b"));
    assert_eq!(top_op("not a and b"), BinaryOp::And);
}

#[test]
fn precedence_arithmetic_and_comparison() {
    assert_eq!(top_op("a + b * c >= d"), BinaryOp::Ge);
    assert_eq!(parse("a + b * c"), parse("a + (b * c)"));
    assert_eq!(parse("a - b - c"), parse("(a - b) - c"));
    assert_ne!(parse("a - b - c"), parse("a - (b - c)"));
    assert_eq!(parse("-a * b"), parse("(-a) * b"));
    assert_eq!(parse("a / b / c"), parse("(a / b) / c"));
}

#[test]
fn in_and_not_in_take_sets_and_lists() {
    let expr = parse("country(creditor) not in embargoed").expect("valid");
    match expr.kind {
        ExprKind::In { negated, set, .. } => {
            assert!(negated);
            assert_eq!(
                set,
                SetRef::Named(Name {
                    text: "embargoed".into(),
                    span: 0..0
                })
            );
        }
        other => panic!("expected `in`, got {other:?}"),
    }
    let expr = parse("purpose in ['CHAR', \"GIFT\",]").expect("valid");
    match expr.kind {
        ExprKind::In {
            set: SetRef::List(items),
            negated,
            ..
        } => {
            assert!(!negated);
            let texts: Vec<_> = items.iter().map(|n| n.text.as_str()).collect();
            assert_eq!(texts, ["CHAR", "GIFT"]);
        }
        other => panic!("expected `in` with a list, got {other:?}"),
    }
    assert_eq!(top_op("a in s or b"), BinaryOp::Or);
}

#[test]
fn literals_parse() {
    assert_eq!(
        parse("10_000").map(|e| e.kind),
        Ok(ExprKind::Number(10_000.0))
    );
    assert_eq!(parse("0.92").map(|e| e.kind), Ok(ExprKind::Number(0.92)));
    assert_eq!(parse("1e3").map(|e| e.kind), Ok(ExprKind::Number(1000.0)));
    assert_eq!(
        parse("'it\\'s'").map(|e| e.kind),
        Ok(ExprKind::String("it's".into()))
    );
    assert_eq!(parse("true").map(|e| e.kind), Ok(ExprKind::Bool(true)));
}

#[test]
fn calls_take_arguments() {
    let expr = parse("missing(sanctions(ultimate_debtor))").expect("valid");
    let ExprKind::Call { name, args } = expr.kind else {
        panic!("expected a call");
    };
    assert_eq!(name.text, "missing");
    assert_eq!(args.len(), 1);
    assert!(matches!(&args[0].kind, ExprKind::Call { name, .. } if name.text == "sanctions"));
}

#[test]
fn spans_cover_the_written_text() {
    let text = "amount >= 10000 and (channel == 'SEPA')";
    let expr = parse(text).expect("valid");
    assert_eq!(&text[expr.span.clone()], text);
    let ExprKind::Binary { left, right, .. } = expr.kind else {
        panic!("expected `and`");
    };
    assert_eq!(&text[left.span], "amount >= 10000");
    assert_eq!(&text[right.span], "(channel == 'SEPA')");
}

#[test]
fn errors_give_the_column() {
    let cases: &[(&str, &str)] = &[
        // (expression, the text at which the error should point)
        ("amount >= ", ""),
        ("amount >= 10000 and", ""),
        ("amount = 5", "= 5"),
        ("amount >= 1 amount", "amount"),
        ("(amount >= 1", ""),
        ("a < b < c", "< c"),
        ("country(debtor) in", ""),
        ("country(debtor) in []", "]"),
        ("channel == 'SEPA", "'SEPA"),
        ("amount >= 1 && b", "&& b"),
        ("amount # 2", "# 2"),
        ("sanctions(debtor,", ""),
        ("1.5.5", ".5"),
    ];
    for (text, rest) in cases {
        let expected = text.chars().count() - rest.chars().count() + 1;
        assert_eq!(column_of_error(text), expected, "column for {text:?}");
    }
}

#[test]
fn errors_name_what_was_expected() {
    let error = parse("amount >= ").expect_err("incomplete");
    assert!(error.message.contains("expected"), "{}", error.message);
    assert!(
        error.message.contains("end of the expression"),
        "{}",
        error.message
    );
    let error = parse("a = b").expect_err("single equals");
    assert!(error.message.contains("=="), "{}", error.message);
}

#[test]
fn column_counts_characters_not_bytes() {
    // 'é' is two bytes; the error is at the fourth character.
    let error = parse("'é' $").expect_err("bad character");
    assert_eq!(error.column, 5);
}

#[test]
fn nesting_limit_is_an_error_not_a_crash() {
    let deep = format!(
        "{}a{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    let error = parse(&deep).expect_err("too deep");
    assert!(error.message.contains("nests deeper"), "{}", error.message);
    let negations = format!("{}a", "not ".repeat(MAX_DEPTH + 1));
    assert!(parse(&negations).is_err());
    let ok = format!(
        "{}a{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(parse(&ok).is_ok());
}

#[test]
fn token_limit_is_an_error() {
    let long = vec!["a"; MAX_TOKENS].join(" or ");
    let error = parse(&long).expect_err("too many tokens");
    assert!(error.message.contains("tokens"), "{}", error.message);
}

#[test]
fn printer_round_trips() {
    let cases = [
        "a or b and c",
        "(a or b) and c",
        "not (a and b)",
        "not a == b",
        "(not a) == b",
        "a - (b - c)",
        "-(a + b) * c",
        "country(creditor) not in ['CU', 'IR']",
        "(a in s) == true",
        "missing(amount) or amount >= 10000",
        "debtor_count_1h > 10 * debtor_count_30d / 720",
        "'quote \\' and backslash \\\\' == channel",
    ];
    for text in cases {
        let expr = parse(text).expect("valid");
        let printed = expr.to_string();
        assert_eq!(
            parse(&printed).as_ref(),
            Ok(&expr),
            "{text:?} printed as {printed:?}"
        );
    }
    assert_eq!(
        parse("(a or b) and c").expect("valid").to_string(),
        "(a or b) and c"
    );
    assert_eq!(
        parse("a or (b and c)").expect("valid").to_string(),
        "a or b and c"
    );
}
