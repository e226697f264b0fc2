//! Compiled predicates: one flat arena of nodes for the whole graph,
//! evaluated by a recursive walk that reads facts and never allocates.

use crate::value::{SymbolSet, Value};

/// Index of a node in [`Program::nodes`].
pub(crate) type NodeId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// One compiled operation. Children are earlier nodes of the same arena.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Node {
    Const(Value),
    /// A built-in fact.
    Slot(u16),
    /// The largest number among a run of slots (`sanctions(any)`).
    MaxOf {
        start: u16,
        len: u16,
    },
    /// Whether any of a run of boolean slots is true (`identifier(any)`).
    AnyTrue {
        start: u16,
        len: u16,
    },
    /// Whether any string of a run of slots is in a set (`country(any) in s`).
    AnyIn {
        start: u16,
        len: u16,
        set: u32,
        negated: bool,
    },
    Aggregate(u32),
    /// Whether a rule fired; rules are evaluated in dependency order.
    Fired(u32),
    IsMissing(NodeId),
    Not(NodeId),
    And(NodeId, NodeId),
    Or(NodeId, NodeId),
    Compare(CompareOp, NodeId, NodeId),
    In {
        value: NodeId,
        set: u32,
        negated: bool,
    },
    Arith(ArithOp, NodeId, NodeId),
    Neg(NodeId),
}

/// The values a program reads while evaluating one transaction.
pub(crate) struct Input<'a> {
    pub slots: &'a [Value],
    pub aggregates: &'a [Value],
    /// Whether each rule fired, by rule index.
    pub fired: &'a dyn Fn(u32) -> bool,
}

/// All compiled expressions and string sets of a graph.
#[derive(Debug, Default)]
pub(crate) struct Program {
    nodes: Vec<Node>,
    sets: Vec<SymbolSet>,
}

impl Program {
    pub fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    pub fn add_set(&mut self, set: SymbolSet) -> u32 {
        self.sets.push(set);
        (self.sets.len() - 1) as u32
    }

    /// Evaluates one node. Missing operands follow the documented rules: a
    /// comparison, `in` or `not in` with a missing operand is false,
    /// arithmetic with one is missing, and `and`/`or`/`not` read missing as false.
    pub fn eval(&self, id: NodeId, input: &Input<'_>) -> Value {
        match self.nodes[id as usize] {
            Node::Const(value) => value,
            Node::Slot(slot) => input.slots[slot as usize],
            Node::MaxOf { start, len } => max_of(slots(input, start, len)),
            Node::AnyTrue { start, len } => any_true(slots(input, start, len)),
            Node::AnyIn {
                start,
                len,
                set,
                negated,
            } => self.any_in(slots(input, start, len), set, negated),
            Node::Aggregate(index) => input
                .aggregates
                .get(index as usize)
                .copied()
                .unwrap_or_default(),
            Node::Fired(rule) => Value::Bool((input.fired)(rule)),
            Node::IsMissing(x) => Value::Bool(self.eval(x, input) == Value::Missing),
            Node::Not(x) => Value::Bool(!self.eval(x, input).is_true()),
            Node::And(a, b) => {
                Value::Bool(self.eval(a, input).is_true() && self.eval(b, input).is_true())
            }
            Node::Or(a, b) => {
                Value::Bool(self.eval(a, input).is_true() || self.eval(b, input).is_true())
            }
            Node::Compare(op, a, b) => {
                Value::Bool(compare(op, self.eval(a, input), self.eval(b, input)))
            }
            Node::In {
                value,
                set,
                negated,
            } => match self.eval(value, input) {
                Value::String(s) => Value::Bool(self.sets[set as usize].contains(s) != negated),
                _ => Value::Bool(false),
            },
            Node::Arith(op, a, b) => arith(op, self.eval(a, input), self.eval(b, input)),
            Node::Neg(x) => match self.eval(x, input) {
                Value::Number(n) => Value::Number(-n),
                _ => Value::Missing,
            },
        }
    }

    /// `in`: some present value is in the set. `not in`: at least one value
    /// is present and none is in the set.
    fn any_in(&self, values: &[Value], set: u32, negated: bool) -> Value {
        let set = &self.sets[set as usize];
        let mut present = false;
        let mut inside = false;
        for value in values {
            if let Value::String(s) = value {
                present = true;
                inside |= set.contains(*s);
            }
        }
        Value::Bool(if negated { present && !inside } else { inside })
    }
}

fn slots<'a>(input: &Input<'a>, start: u16, len: u16) -> &'a [Value] {
    &input.slots[start as usize..(start + len) as usize]
}

fn max_of(values: &[Value]) -> Value {
    values
        .iter()
        .filter_map(|v| v.number())
        .reduce(f64::max)
        .map_or(Value::Missing, Value::Number)
}

fn any_true(values: &[Value]) -> Value {
    let mut result = Value::Missing;
    for value in values {
        match value {
            Value::Bool(true) => return Value::Bool(true),
            Value::Bool(false) => result = Value::Bool(false),
            _ => {}
        }
    }
    result
}

fn compare(op: CompareOp, a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match op {
            CompareOp::Eq => x == y,
            CompareOp::Ne => x != y,
            CompareOp::Lt => x < y,
            CompareOp::Le => x <= y,
            CompareOp::Gt => x > y,
            CompareOp::Ge => x >= y,
        },
        (Value::String(x), Value::String(y)) => equality(op, x == y),
        (Value::Bool(x), Value::Bool(y)) => equality(op, x == y),
        _ => false,
    }
}

fn equality(op: CompareOp, equal: bool) -> bool {
    match op {
        CompareOp::Eq => equal,
        CompareOp::Ne => !equal,
        _ => false,
    }
}

/// Arithmetic on two numbers; a missing operand, a division by zero or an
/// overflow to infinity gives a missing value.
fn arith(op: ArithOp, a: Value, b: Value) -> Value {
    let (Value::Number(x), Value::Number(y)) = (a, b) else {
        return Value::Missing;
    };
    let result = match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div => x / y,
    };
    if result.is_finite() {
        Value::Number(result)
    } else {
        Value::Missing
    }
}
