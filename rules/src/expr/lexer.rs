//! Splits a predicate into tokens with their byte ranges.

use std::ops::Range;

use super::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Number(f64),
    String(String),
    Ident(String),
    And,
    Or,
    Not,
    In,
    True,
    False,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Token {
    /// Describes the token for an error message.
    pub fn describe(&self) -> String {
        match self {
            Token::Number(n) => format!("number {n}"),
            Token::String(s) => format!("string '{s}'"),
            Token::Ident(name) => format!("name `{name}`"),
            Token::And => "`and`".into(),
            Token::Or => "`or`".into(),
            Token::Not => "`not`".into(),
            Token::In => "`in`".into(),
            Token::True => "`true`".into(),
            Token::False => "`false`".into(),
            Token::LParen => "`(`".into(),
            Token::RParen => "`)`".into(),
            Token::LBracket => "`[`".into(),
            Token::RBracket => "`]`".into(),
            Token::Comma => "`,`".into(),
            Token::Plus => "`+`".into(),
            Token::Minus => "`-`".into(),
            Token::Star => "`*`".into(),
            Token::Slash => "`/`".into(),
            Token::Eq => "`==`".into(),
            Token::Ne => "`!=`".into(),
            Token::Lt => "`<`".into(),
            Token::Le => "`<=`".into(),
            Token::Gt => "`>`".into(),
            Token::Ge => "`>=`".into(),
        }
    }
}

/// Tokenizes the whole text, or returns the first lexical error.
pub fn tokenize(text: &str) -> Result<Vec<(Token, Range<usize>)>, ParseError> {
    let mut lexer = Lexer { text, pos: 0 };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next_token()? {
        tokens.push(token);
    }
    Ok(tokens)
}

struct Lexer<'t> {
    text: &'t str,
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.text[self.pos..].chars().nth(1)
    }

    fn next_token(&mut self) -> Result<Option<(Token, Range<usize>)>, ParseError> {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += self.peek().map_or(1, char::len_utf8);
        }
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let token = match c {
            '0'..='9' => self.number()?,
            '.' if self.peek_second().is_some_and(|d| d.is_ascii_digit()) => self.number()?,
            '"' | '\'' => self.string(c)?,
            c if c.is_ascii_alphabetic() || c == '_' => self.word(),
            _ => self.symbol(c)?,
        };
        Ok(Some((token, start..self.pos)))
    }

    fn number(&mut self) -> Result<Token, ParseError> {
        let start = self.pos;
        self.digits();
        if self.peek() == Some('.') {
            self.pos += 1;
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            self.digits();
        }
        let written = &self.text[start..self.pos];
        let cleaned: String = written.chars().filter(|&c| c != '_').collect();
        match cleaned.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Token::Number(value)),
            _ => Err(ParseError::new(
                self.text,
                start,
                format!("`{written}` is not a valid number"),
            )),
        }
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '_') {
            self.pos += 1;
        }
    }

    fn string(&mut self, quote: char) -> Result<Token, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(ParseError::new(
                    self.text,
                    start,
                    format!("string is not closed; add a closing {quote}"),
                ));
            };
            self.pos += c.len_utf8();
            match c {
                c if c == quote => return Ok(Token::String(value)),
                '\\' => {
                    let escaped = self.peek().ok_or_else(|| {
                        ParseError::new(self.text, start, "string ends in a lone `\\`".into())
                    })?;
                    self.pos += escaped.len_utf8();
                    value.push(escaped);
                }
                _ => value.push(c),
            }
        }
    }

    fn word(&mut self) -> Token {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        match &self.text[start..self.pos] {
            "and" => Token::And,
            "or" => Token::Or,
            "not" => Token::Not,
            "in" => Token::In,
            "true" => Token::True,
            "false" => Token::False,
            word => Token::Ident(word.to_owned()),
        }
    }

    fn symbol(&mut self, c: char) -> Result<Token, ParseError> {
        let start = self.pos;
        let next = self.peek_second();
        let (token, len) = match (c, next) {
            ('=', Some('=')) => (Token::Eq, 2),
            ('!', Some('=')) => (Token::Ne, 2),
            ('<', Some('=')) => (Token::Le, 2),
            ('>', Some('=')) => (Token::Ge, 2),
            ('<', _) => (Token::Lt, 1),
            ('>', _) => (Token::Gt, 1),
            ('(', _) => (Token::LParen, 1),
            (')', _) => (Token::RParen, 1),
            ('[', _) => (Token::LBracket, 1),
            (']', _) => (Token::RBracket, 1),
            (',', _) => (Token::Comma, 1),
            ('+', _) => (Token::Plus, 1),
            ('-', _) => (Token::Minus, 1),
            ('*', _) => (Token::Star, 1),
            ('/', _) => (Token::Slash, 1),
            ('=', _) => {
                return Err(self.hint(start, "`=` is not an operator; write `==` to compare"))
            }
            ('&', _) => return Err(self.hint(start, "`&` is not an operator; write `and`")),
            ('|', _) => return Err(self.hint(start, "`|` is not an operator; write `or`")),
            ('!', _) => return Err(self.hint(start, "`!` is not an operator; write `not`")),
            _ => {
                return Err(self.hint(start, &format!("unexpected character `{c}`")));
            }
        };
        self.pos += len;
        Ok(token)
    }

    fn hint(&self, at: usize, message: &str) -> ParseError {
        ParseError::new(self.text, at, message.to_owned())
    }
}
