//! The syntax tree of a predicate, and a printer that writes it back with
//! only the parentheses that precedence needs.

use std::fmt;
use std::ops::Range;

/// A predicate or value expression as written, before names are resolved.
/// Equality ignores spans, so a parsed and a printed-then-parsed tree compare equal.
#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    /// Byte range in the expression text.
    pub span: Range<usize>,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

/// A name as written, with its byte range; equality ignores the range.
#[derive(Debug, Clone)]
pub struct Name {
    pub text: String,
    pub span: Range<usize>,
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    String(String),
    Bool(bool),
    /// A feature without arguments, such as `amount` or an aggregate id.
    Feature(Name),
    /// A name with arguments: `sanctions(creditor)`, `missing(amount)`, `fired(rule_id)`.
    Call {
        name: Name,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `value in set` or, with `negated`, `value not in set`.
    In {
        value: Box<Expr>,
        set: SetRef,
        negated: bool,
    },
}

/// The right-hand side of `in`: a set defined in the graph, or a literal list.
#[derive(Debug, Clone, PartialEq)]
pub enum SetRef {
    Named(Name),
    List(Vec<Name>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    /// Binding strength; higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => prec::OR,
            BinaryOp::And => prec::AND,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => prec::COMPARE,
            BinaryOp::Add | BinaryOp::Sub => prec::SUM,
            BinaryOp::Mul | BinaryOp::Div => prec::PRODUCT,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == prec::COMPARE
    }
}

/// Precedence levels, loosest first.
pub mod prec {
    pub const OR: u8 = 1;
    pub const AND: u8 = 2;
    pub const NOT: u8 = 3;
    pub const COMPARE: u8 = 4;
    pub const SUM: u8 = 5;
    pub const PRODUCT: u8 = 6;
    pub const NEG: u8 = 7;
    pub const ATOM: u8 = 8;
}

impl Expr {
    /// Returns how tightly this expression binds when printed without parentheses.
    fn precedence(&self) -> u8 {
        match &self.kind {
            ExprKind::Binary { op, .. } => op.precedence(),
            ExprKind::In { .. } => prec::COMPARE,
            ExprKind::Unary {
                op: UnaryOp::Not, ..
            } => prec::NOT,
            ExprKind::Unary {
                op: UnaryOp::Neg, ..
            } => prec::NEG,
            _ => prec::ATOM,
        }
    }

    /// Writes the expression, in parentheses when it binds looser than `min`.
    fn write_at(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            write!(f, "(")?;
            self.write_bare(f)?;
            write!(f, ")")
        } else {
            self.write_bare(f)
        }
    }

    fn write_bare(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => write!(f, "{n}"),
            ExprKind::String(s) => write_string(f, s),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Feature(name) => write!(f, "{}", name.text),
            ExprKind::Call { name, args } => {
                write!(f, "{}(", name.text)?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    arg.write_at(f, prec::OR)?;
                }
                write!(f, ")")
            }
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Not => {
                    write!(f, "not ")?;
                    operand.write_at(f, prec::NOT)
                }
                UnaryOp::Neg => {
                    write!(f, "-")?;
                    operand.write_at(f, prec::NEG)
                }
            },
            ExprKind::Binary { op, left, right } => {
                let p = op.precedence();
                // Comparisons do not chain, so both sides must bind tighter.
                let left_min = if op.is_comparison() { p + 1 } else { p };
                left.write_at(f, left_min)?;
                write!(f, " {} ", op.symbol())?;
                right.write_at(f, p + 1)
            }
            ExprKind::In {
                value,
                set,
                negated,
            } => {
                value.write_at(f, prec::SUM)?;
                write!(f, "{}", if *negated { " not in " } else { " in " })?;
                write_set(f, set)
            }
        }
    }
}

fn write_set(f: &mut fmt::Formatter<'_>, set: &SetRef) -> fmt::Result {
    match set {
        SetRef::Named(name) => write!(f, "{}", name.text),
        SetRef::List(items) => {
            write!(f, "[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write_string(f, &item.text)?;
            }
            write!(f, "]")
        }
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    write!(f, "'")?;
    for c in s.chars() {
        match c {
            '\'' => write!(f, "\\'")?,
            '\\' => write!(f, "\\\\")?,
            _ => write!(f, "{c}")?,
        }
    }
    write!(f, "'")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_at(f, prec::OR)
    }
}
