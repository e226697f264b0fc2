//! A recursive-descent parser for predicates. Precedence, loosest first:
//! `or`, `and`, `not`, comparisons and `in`, `+ -`, `* /`, unary `-`.

use std::ops::Range;

use super::ast::{BinaryOp, Expr, ExprKind, Name, SetRef, UnaryOp};
use super::lexer::{tokenize, Token};
use super::ParseError;

/// Deepest nesting of parentheses and unary operators a predicate may use,
/// so that a hostile file cannot overflow the stack.
pub const MAX_DEPTH: usize = 64;

/// Most tokens a predicate may have. It bounds the depth of the tree that
/// chains of `and`/`or`/`+` build, which compiling and evaluation recurse over.
pub const MAX_TOKENS: usize = 1000;

/// Parses a predicate or value expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(text)?;
    if tokens.len() > MAX_TOKENS {
        return Err(ParseError::new(
            text,
            tokens[MAX_TOKENS].1.start,
            format!(
                "expression has {} tokens, over the limit of {MAX_TOKENS}; split it into several rules",
                tokens.len()
            ),
        ));
    }
    let mut parser = Parser {
        text,
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or_expr()?;
    match parser.tokens.get(parser.pos) {
        None => Ok(expr),
        Some((token, span)) => Err(ParseError::new(
            text,
            span.start,
            format!(
                "unexpected {} after a complete expression; join conditions with `and` or `or`",
                token.describe()
            ),
        )),
    }
}

struct Parser<'t> {
    text: &'t str,
    tokens: Vec<(Token, Range<usize>)>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead).map(|(t, _)| t)
    }

    fn advance(&mut self) -> Option<(Token, Range<usize>)> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn eat(&mut self, expected: &Token) -> Option<Range<usize>> {
        match self.tokens.get(self.pos) {
            Some((token, span)) if token == expected => {
                let span = span.clone();
                self.pos += 1;
                Some(span)
            }
            _ => None,
        }
    }

    /// Builds an error at the current token, or at the end of the text.
    fn error_here(&self, message: String) -> ParseError {
        let at = self
            .tokens
            .get(self.pos)
            .map_or(self.text.len(), |(_, span)| span.start);
        ParseError::new(self.text, at, message)
    }

    fn expected(&self, what: &str) -> ParseError {
        let found = self
            .peek()
            .map_or_else(|| "the end of the expression".to_owned(), Token::describe);
        self.error_here(format!("expected {what}, found {found}"))
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here(format!(
                "expression nests deeper than {MAX_DEPTH} levels; split it into several rules"
            )));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and_expr()?;
        while self.eat(&Token::Or).is_some() {
            let right = self.and_expr()?;
            left = binary(BinaryOp::Or, left, right);
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not_expr()?;
        while self.eat(&Token::And).is_some() {
            let right = self.not_expr()?;
            left = binary(BinaryOp::And, left, right);
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr, ParseError> {
        let Some(not_span) = self.eat(&Token::Not) else {
            return self.compare_expr();
        };
        self.enter()?;
        let operand = self.not_expr()?;
        self.depth -= 1;
        Ok(unary(UnaryOp::Not, not_span.start, operand))
    }

    fn compare_expr(&mut self) -> Result<Expr, ParseError> {
        let left = self.sum_expr()?;
        let expr = if let Some(op) = self.peek().and_then(comparison_op) {
            self.pos += 1;
            let right = self.sum_expr()?;
            binary(op, left, right)
        } else if self.peek() == Some(&Token::In) {
            self.pos += 1;
            self.in_expr(left, false)?
        } else if self.peek() == Some(&Token::Not) && self.peek_at(1) == Some(&Token::In) {
            self.pos += 2;
            self.in_expr(left, true)?
        } else {
            return Ok(left);
        };
        if self.peek().and_then(comparison_op).is_some() || self.peek() == Some(&Token::In) {
            return Err(self.error_here(
                "comparisons cannot be chained; join them with `and`, as in `a < b and b < c`"
                    .into(),
            ));
        }
        Ok(expr)
    }

    fn in_expr(&mut self, value: Expr, negated: bool) -> Result<Expr, ParseError> {
        let (set, end) = self.set_ref()?;
        let span = value.span.start..end;
        Ok(Expr {
            kind: ExprKind::In {
                value: Box::new(value),
                set,
                negated,
            },
            span,
        })
    }

    fn set_ref(&mut self) -> Result<(SetRef, usize), ParseError> {
        match self.advance() {
            Some((Token::Ident(text), span)) => Ok((
                SetRef::Named(Name {
                    text,
                    span: span.clone(),
                }),
                span.end,
            )),
            Some((Token::LBracket, _)) => self.set_list(),
            _ => {
                self.pos -= 1;
                Err(self.expected("a set name or a list such as ['CU', 'IR'] after `in`"))
            }
        }
    }

    fn set_list(&mut self) -> Result<(SetRef, usize), ParseError> {
        let mut items = Vec::new();
        loop {
            if let Some(span) = self.eat(&Token::RBracket) {
                if items.is_empty() {
                    self.pos -= 1;
                    return Err(self.error_here(
                        "the list after `in` is empty; add at least one string".into(),
                    ));
                }
                return Ok((SetRef::List(items), span.end));
            }
            match self.advance() {
                Some((Token::String(text), span)) => items.push(Name { text, span }),
                _ => {
                    self.pos -= 1;
                    return Err(self.expected("a quoted string in the list"));
                }
            }
            if self.eat(&Token::Comma).is_none() && self.peek() != Some(&Token::RBracket) {
                return Err(self.expected("`,` or `]`"));
            }
        }
    }

    fn sum_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.product_expr()?;
        loop {
            let op = match self.peek() {
                Some(Token::Plus) => BinaryOp::Add,
                Some(Token::Minus) => BinaryOp::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.product_expr()?;
            left = binary(op, left, right);
        }
    }

    fn product_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary_expr()?;
        loop {
            let op = match self.peek() {
                Some(Token::Star) => BinaryOp::Mul,
                Some(Token::Slash) => BinaryOp::Div,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary_expr()?;
            left = binary(op, left, right);
        }
    }

    fn unary_expr(&mut self) -> Result<Expr, ParseError> {
        let Some(minus) = self.eat(&Token::Minus) else {
            return self.primary();
        };
        self.enter()?;
        let operand = self.unary_expr()?;
        self.depth -= 1;
        Ok(unary(UnaryOp::Neg, minus.start, operand))
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some((token, span)) = self.advance() else {
            self.pos -= 1;
            return Err(self.expected("a value, a feature or `(`"));
        };
        let kind = match token {
            Token::Number(n) => ExprKind::Number(n),
            Token::String(s) => ExprKind::String(s),
            Token::True => ExprKind::Bool(true),
            Token::False => ExprKind::Bool(false),
            Token::LParen => return self.parenthesized(span.start),
            Token::Ident(text) => return self.feature(Name { text, span }),
            _ => {
                self.pos -= 1;
                return Err(self.expected("a value, a feature or `(`"));
            }
        };
        Ok(Expr { kind, span })
    }

    fn parenthesized(&mut self, start: usize) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut inner = self.or_expr()?;
        self.depth -= 1;
        let Some(close) = self.eat(&Token::RParen) else {
            return Err(self.expected("`)`"));
        };
        inner.span = start..close.end;
        Ok(inner)
    }

    fn feature(&mut self, name: Name) -> Result<Expr, ParseError> {
        if self.eat(&Token::LParen).is_none() {
            let span = name.span.clone();
            return Ok(Expr {
                kind: ExprKind::Feature(name),
                span,
            });
        }
        self.enter()?;
        let mut args = Vec::new();
        let end = loop {
            if let Some(close) = self.eat(&Token::RParen) {
                break close.end;
            }
            args.push(self.or_expr()?);
            if self.eat(&Token::Comma).is_none() && self.peek() != Some(&Token::RParen) {
                return Err(self.expected("`,` or `)`"));
            }
        };
        self.depth -= 1;
        let span = name.span.start..end;
        Ok(Expr {
            kind: ExprKind::Call { name, args },
            span,
        })
    }
}

fn comparison_op(token: &Token) -> Option<BinaryOp> {
    match token {
        Token::Eq => Some(BinaryOp::Eq),
        Token::Ne => Some(BinaryOp::Ne),
        Token::Lt => Some(BinaryOp::Lt),
        Token::Le => Some(BinaryOp::Le),
        Token::Gt => Some(BinaryOp::Gt),
        Token::Ge => Some(BinaryOp::Ge),
        _ => None,
    }
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.start..right.span.end;
    Expr {
        kind: ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
        span,
    }
}

fn unary(op: UnaryOp, start: usize, operand: Expr) -> Expr {
    let span = start..operand.span.end;
    Expr {
        kind: ExprKind::Unary {
            op,
            operand: Box::new(operand),
        },
        span,
    }
}
