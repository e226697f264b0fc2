//! Type-checks predicate syntax trees and lowers them to program nodes.
//!
//! Types: numbers (scores in 0..=1 are numbers that remember their range),
//! booleans, strings of a kind (country, region, code, text), and the
//! several values of a role feature with `any`, usable only with `in`.

use crate::expr::{self, BinaryOp, Expr, ExprKind, Name, SetRef, UnaryOp};
use crate::features::{self, slot, Argument, FeatureType, SlotRef, StringKind};
use crate::program::{ArithOp, CompareOp, Node, NodeId};
use crate::report::ProblemKind;
use crate::source::At;
use crate::value::{SymbolSet, Value};

use super::Compiler;

/// The origin of an expression and the features it may read.
pub(crate) struct ExprSite<'a> {
    pub text: &'a At<String>,
    /// Label of the node, such as "rule `large_amount`".
    pub node: &'a str,
    /// The key holding the expression, such as "when".
    pub key: &'static str,
    pub allow_aggregates: bool,
    pub allow_fired: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Ty {
    Number {
        score: bool,
    },
    Bool,
    Str(StringKind),
    /// Several strings: a role feature with `any`, over these slots.
    Multi(StringKind, u16, u16),
    /// A type error was already reported for this operand.
    Error,
}

impl Ty {
    fn describe(self) -> &'static str {
        match self {
            Ty::Number { score: true } => "a score",
            Ty::Number { score: false } => "a number",
            Ty::Bool => "a condition (true or false)",
            Ty::Str(_) => "a string",
            Ty::Multi(..) => "the values of several roles",
            Ty::Error => "invalid",
        }
    }

    fn from_feature(ty: FeatureType) -> Ty {
        match ty {
            FeatureType::Score => Ty::Number { score: true },
            FeatureType::Number => Ty::Number { score: false },
            FeatureType::Bool => Ty::Bool,
            FeatureType::String(kind) => Ty::Str(kind),
        }
    }
}

/// A lowered expression with its type and, for literals, the value written.
struct Typed {
    node: NodeId,
    ty: Ty,
    literal: Option<Literal>,
}

enum Literal {
    Number(f64),
    Str(String),
}

impl Compiler<'_, '_> {
    /// Lowers a predicate that must be a condition.
    pub(crate) fn lower_condition(&mut self, site: &ExprSite<'_>) -> Option<NodeId> {
        let typed = self.lower_site(site)?;
        match typed.ty {
            Ty::Bool => Some(typed.node),
            Ty::Error => None,
            other => {
                self.report(site, 0, ProblemKind::TypeMismatch, format!(
                    "`{}` must be a condition (true or false), but it is {}; compare it, as in `{} >= 10000`",
                    site.key, other.describe(), site.text.value
                ));
                None
            }
        }
    }

    /// Lowers an expression that must be a number; returns whether it is a score.
    pub(crate) fn lower_number(&mut self, site: &ExprSite<'_>) -> Option<(NodeId, bool)> {
        let typed = self.lower_site(site)?;
        match typed.ty {
            Ty::Number { score } => Some((typed.node, score)),
            Ty::Error => None,
            other => {
                self.report(
                    site,
                    0,
                    ProblemKind::TypeMismatch,
                    format!(
                        "`{}` must be a number, but it is {}",
                        site.key,
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    /// Rules that the last lowered expression read through `fired(...)`.
    pub(crate) fn take_fired_refs(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.fired_refs)
    }

    fn lower_site(&mut self, site: &ExprSite<'_>) -> Option<Typed> {
        self.fired_refs.clear();
        match expr::parse(&site.text.value) {
            Ok(tree) => Some(self.lower(&tree, site)),
            Err(error) => {
                let message = format!("`{}` does not parse: {}", site.key, error.message);
                self.report(site, error.offset, ProblemKind::ExpressionSyntax, message);
                None
            }
        }
    }

    /// Records a problem at byte `offset` of the expression, naming its column.
    fn report(&mut self, site: &ExprSite<'_>, offset: usize, kind: ProblemKind, message: String) {
        let text = &site.text.value;
        let column = text.get(..offset).map_or(offset, |s| s.chars().count()) + 1;
        let loc = self.diag.expression_loc(site.text.loc, text, offset);
        self.diag.error(
            kind,
            loc,
            Some(site.node),
            format!("{message} (column {column} of the expression)"),
        );
    }

    /// Reports a problem and returns a poisoned operand, so that enclosing
    /// expressions report nothing more about it.
    fn fail(
        &mut self,
        site: &ExprSite<'_>,
        offset: usize,
        kind: ProblemKind,
        message: String,
    ) -> Typed {
        self.report(site, offset, kind, message);
        self.poison()
    }

    fn poison(&mut self) -> Typed {
        Typed {
            node: self.program.push(Node::Const(Value::Missing)),
            ty: Ty::Error,
            literal: None,
        }
    }

    fn typed(&mut self, node: Node, ty: Ty) -> Typed {
        Typed {
            node: self.program.push(node),
            ty,
            literal: None,
        }
    }

    fn lower(&mut self, e: &Expr, site: &ExprSite<'_>) -> Typed {
        match &e.kind {
            ExprKind::Number(n) => Typed {
                node: self.program.push(Node::Const(Value::Number(*n))),
                ty: Ty::Number { score: false },
                literal: Some(Literal::Number(*n)),
            },
            ExprKind::String(s) => Typed {
                node: self
                    .program
                    .push(Node::Const(Value::String(self.symbols.intern(s)))),
                ty: Ty::Str(StringKind::Text),
                literal: Some(Literal::Str(s.clone())),
            },
            ExprKind::Bool(b) => self.typed(Node::Const(Value::Bool(*b)), Ty::Bool),
            ExprKind::Feature(name) => self.lower_feature(name, site),
            ExprKind::Call { name, args } => self.lower_call(name, args, site),
            ExprKind::Unary { op, operand } => self.lower_unary(*op, operand, e, site),
            ExprKind::Binary { op, left, right } => self.lower_binary(*op, left, right, site),
            ExprKind::In {
                value,
                set,
                negated,
            } => self.lower_in(value, set, *negated, site),
        }
    }

    fn lower_feature(&mut self, name: &Name, site: &ExprSite<'_>) -> Typed {
        if let Some(feature) = features::find_builtin(&name.text) {
            if feature.argument == Argument::None {
                if feature.slot == slot::AMOUNT && self.amount_use.is_none() {
                    let loc =
                        self.diag
                            .expression_loc(site.text.loc, &site.text.value, name.span.start);
                    self.amount_use = Some((loc, site.node.to_owned()));
                }
                return self.typed(
                    Node::Slot(feature.slot as u16),
                    Ty::from_feature(feature.ty),
                );
            }
            let allowed = features::allowed_arguments(feature.argument);
            return self.fail(
                site,
                name.span.start,
                ProblemKind::UnknownFeature,
                format!(
                    "feature `{0}` needs an argument, as in {0}({1}); allowed: {allowed}",
                    name.text,
                    allowed.split(',').next().unwrap_or("any")
                ),
            );
        }
        if let Some(&index) = self.aggregate_ids.get(&name.text) {
            if !site.allow_aggregates {
                return self.fail(site, name.span.start, ProblemKind::InvalidValue, format!(
                    "`{}` is an aggregate, but an aggregate filter reads only the current transaction's features",
                    name.text
                ));
            }
            self.aggregate_read[index] = true;
            return self.typed(Node::Aggregate(index as u32), Ty::Number { score: false });
        }
        if features::FUNCTIONS.contains(&name.text.as_str()) {
            return self.fail(
                site,
                name.span.start,
                ProblemKind::InvalidValue,
                format!(
                    "`{0}` needs an argument in parentheses, as in {0}(amount)",
                    name.text
                ),
            );
        }
        self.unknown_feature(name, site)
    }

    fn unknown_feature(&mut self, name: &Name, site: &ExprSite<'_>) -> Typed {
        let candidates: Vec<&str> = features::BUILTIN
            .iter()
            .map(|f| f.name)
            .chain(self.aggregate_ids.keys().map(String::as_str))
            .chain(features::FUNCTIONS.iter().copied())
            .collect();
        let hint = match features::closest_name(&name.text, candidates.iter().copied()) {
            Some(close) => format!("; did you mean `{close}`?"),
            None => "; see the feature list in docs/rules.md or declare an aggregate with this id"
                .to_owned(),
        };
        self.fail(
            site,
            name.span.start,
            ProblemKind::UnknownFeature,
            format!(
                "unknown feature `{}`: it is neither built in nor a declared aggregate{hint}",
                name.text
            ),
        )
    }

    fn lower_call(&mut self, name: &Name, args: &[Expr], site: &ExprSite<'_>) -> Typed {
        match name.text.as_str() {
            "missing" => return self.lower_missing(name, args, site),
            "fired" => return self.lower_fired(name, args, site),
            _ => {}
        }
        let Some(feature) = features::find_builtin(&name.text) else {
            return self.unknown_feature(name, site);
        };
        if feature.argument == Argument::None {
            return self.fail(
                site,
                name.span.start,
                ProblemKind::InvalidValue,
                format!("feature `{0}` takes no argument; write `{0}`", name.text),
            );
        }
        let allowed = features::allowed_arguments(feature.argument);
        let argument = match args {
            [Expr {
                kind: ExprKind::Feature(arg),
                ..
            }] => arg,
            _ => {
                return self.fail(
                    site,
                    name.span.start,
                    ProblemKind::InvalidValue,
                    format!(
                        "feature `{}` takes one argument, one of: {allowed}",
                        name.text
                    ),
                );
            }
        };
        match features::resolve_argument(feature, &argument.text) {
            Ok(slots) => self.lower_slots(feature.ty, slots),
            Err(allowed) => self.fail(
                site,
                argument.span.start,
                ProblemKind::InvalidValue,
                format!(
                    "`{}` is not an argument of `{}`; use one of: {allowed}",
                    argument.text, name.text
                ),
            ),
        }
    }

    fn lower_slots(&mut self, ty: FeatureType, slots: SlotRef) -> Typed {
        let (start, len) = match slots {
            SlotRef::One(slot) => return self.typed(Node::Slot(slot as u16), Ty::from_feature(ty)),
            SlotRef::Any { start, len } => (start as u16, len as u16),
        };
        match ty {
            FeatureType::Score | FeatureType::Number => {
                self.typed(Node::MaxOf { start, len }, Ty::from_feature(ty))
            }
            FeatureType::Bool => self.typed(Node::AnyTrue { start, len }, Ty::Bool),
            // The node is built by `in`, the only operator that takes several values.
            FeatureType::String(kind) => Typed {
                node: self.program.push(Node::Const(Value::Missing)),
                ty: Ty::Multi(kind, start, len),
                literal: None,
            },
        }
    }

    fn lower_missing(&mut self, name: &Name, args: &[Expr], site: &ExprSite<'_>) -> Typed {
        let [arg] = args else {
            return self.fail(
                site,
                name.span.start,
                ProblemKind::InvalidValue,
                "`missing` takes one feature, as in missing(amount)".to_owned(),
            );
        };
        let inner = self.lower(arg, site);
        match inner.ty {
            Ty::Error => self.poison(),
            Ty::Multi(..) => self.fail(
                site,
                arg.span.start,
                ProblemKind::TypeMismatch,
                "`missing` tests one value; name one role instead of `any`".to_owned(),
            ),
            _ => self.typed(Node::IsMissing(inner.node), Ty::Bool),
        }
    }

    fn lower_fired(&mut self, name: &Name, args: &[Expr], site: &ExprSite<'_>) -> Typed {
        let rule = match args {
            [Expr {
                kind: ExprKind::Feature(rule),
                ..
            }] => rule,
            _ => {
                return self.fail(
                    site,
                    name.span.start,
                    ProblemKind::InvalidValue,
                    "`fired` takes one rule id, as in fired(large_amount)".to_owned(),
                );
            }
        };
        if !site.allow_fired {
            return self.fail(site, name.span.start, ProblemKind::InvalidValue,
                "an aggregate filter cannot read rules; it sees only the current transaction's features".to_owned());
        }
        let Some(&index) = self.rule_ids.get(&rule.text) else {
            return self.fail(
                site,
                rule.span.start,
                ProblemKind::UnknownReference,
                format!("`fired({})` names a rule that is not defined", rule.text),
            );
        };
        self.fired_refs.push(index);
        self.typed(Node::Fired(index as u32), Ty::Bool)
    }

    fn lower_unary(
        &mut self,
        op: UnaryOp,
        operand: &Expr,
        whole: &Expr,
        site: &ExprSite<'_>,
    ) -> Typed {
        let inner = self.lower(operand, site);
        let (wanted, node) = match op {
            UnaryOp::Not => (Ty::Bool, Node::Not(inner.node)),
            UnaryOp::Neg => (Ty::Number { score: false }, Node::Neg(inner.node)),
        };
        match (op, inner.ty) {
            (_, Ty::Error) => self.poison(),
            (UnaryOp::Not, Ty::Bool) | (UnaryOp::Neg, Ty::Number { .. }) => {
                self.typed(node, wanted)
            }
            (_, other) => {
                let symbol = if op == UnaryOp::Not { "not" } else { "-" };
                self.fail(
                    site,
                    whole.span.start,
                    ProblemKind::TypeMismatch,
                    format!(
                        "`{symbol}` needs {}, but its operand is {}",
                        wanted.describe(),
                        other.describe()
                    ),
                )
            }
        }
    }

    fn lower_binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        site: &ExprSite<'_>,
    ) -> Typed {
        let l = self.lower(left, site);
        let r = self.lower(right, site);
        if l.ty == Ty::Error || r.ty == Ty::Error {
            return self.poison();
        }
        if let Some(multi) = [(&l, left), (&r, right)]
            .into_iter()
            .find(|(t, _)| matches!(t.ty, Ty::Multi(..)))
        {
            return self.fail(site, multi.1.span.start, ProblemKind::TypeMismatch, format!(
                "`{}` stands for the values of several roles and works only with `in`, as in `{} in embargoed`",
                multi.1, multi.1
            ));
        }
        match op {
            BinaryOp::And | BinaryOp::Or => self.lower_logic(op, l, r, left, site),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                self.lower_arith(op, l, r, left, site)
            }
            _ => self.lower_compare(op, l, r, left, right, site),
        }
    }

    fn lower_logic(
        &mut self,
        op: BinaryOp,
        l: Typed,
        r: Typed,
        left: &Expr,
        site: &ExprSite<'_>,
    ) -> Typed {
        if l.ty != Ty::Bool || r.ty != Ty::Bool {
            let bad = if l.ty != Ty::Bool { l.ty } else { r.ty };
            return self.fail(site, left.span.start, ProblemKind::TypeMismatch, format!(
                "`{}` joins conditions, but one side is {}; compare it first, as in `amount >= 10000`",
                op.symbol(), bad.describe()
            ));
        }
        let node = if op == BinaryOp::And {
            Node::And(l.node, r.node)
        } else {
            Node::Or(l.node, r.node)
        };
        self.typed(node, Ty::Bool)
    }

    fn lower_arith(
        &mut self,
        op: BinaryOp,
        l: Typed,
        r: Typed,
        left: &Expr,
        site: &ExprSite<'_>,
    ) -> Typed {
        if !matches!(l.ty, Ty::Number { .. }) || !matches!(r.ty, Ty::Number { .. }) {
            let bad = if matches!(l.ty, Ty::Number { .. }) {
                r.ty
            } else {
                l.ty
            };
            return self.fail(
                site,
                left.span.start,
                ProblemKind::TypeMismatch,
                format!(
                    "`{}` works on numbers, but one side is {}",
                    op.symbol(),
                    bad.describe()
                ),
            );
        }
        let arith = match op {
            BinaryOp::Add => ArithOp::Add,
            BinaryOp::Sub => ArithOp::Sub,
            BinaryOp::Mul => ArithOp::Mul,
            _ => ArithOp::Div,
        };
        self.typed(
            Node::Arith(arith, l.node, r.node),
            Ty::Number { score: false },
        )
    }

    fn lower_compare(
        &mut self,
        op: BinaryOp,
        l: Typed,
        r: Typed,
        left: &Expr,
        right: &Expr,
        site: &ExprSite<'_>,
    ) -> Typed {
        let compare = match op {
            BinaryOp::Eq => CompareOp::Eq,
            BinaryOp::Ne => CompareOp::Ne,
            BinaryOp::Lt => CompareOp::Lt,
            BinaryOp::Le => CompareOp::Le,
            BinaryOp::Gt => CompareOp::Gt,
            _ => CompareOp::Ge,
        };
        let ordering = !matches!(compare, CompareOp::Eq | CompareOp::Ne);
        let compatible = match (l.ty, r.ty) {
            (Ty::Number { .. }, Ty::Number { .. }) => true,
            (Ty::Bool, Ty::Bool) | (Ty::Str(_), Ty::Str(_)) => !ordering,
            _ => false,
        };
        if !compatible {
            let message = if ordering {
                format!(
                    "`{}` orders numbers, but the sides are {} and {}",
                    op.symbol(),
                    l.ty.describe(),
                    r.ty.describe()
                )
            } else {
                format!(
                    "`{}` compares {} with {}; both sides must have the same type",
                    op.symbol(),
                    l.ty.describe(),
                    r.ty.describe()
                )
            };
            return self.fail(site, left.span.start, ProblemKind::TypeMismatch, message);
        }
        self.check_score_range(&l, &r, left, right, site);
        self.check_string_kinds(&l, &r, left, right, site);
        self.typed(Node::Compare(compare, l.node, r.node), Ty::Bool)
    }

    /// Reports a score compared with a number outside 0..=1, a threshold
    /// that is never or always met.
    fn check_score_range(
        &mut self,
        l: &Typed,
        r: &Typed,
        left: &Expr,
        right: &Expr,
        site: &ExprSite<'_>,
    ) {
        for (score, other, other_expr) in [(l, r, right), (r, l, left)] {
            if let (Ty::Number { score: true }, Some(Literal::Number(n))) =
                (score.ty, &other.literal)
            {
                if !(0.0..=1.0).contains(n) {
                    self.report(
                        site,
                        other_expr.span.start,
                        ProblemKind::OutOfRange,
                        format!("threshold {n} is outside 0..=1, the range of match scores"),
                    );
                }
            }
        }
    }

    /// A string literal compared with a code feature must be a well-formed
    /// code, and two features compared must hold the same kind of string.
    fn check_string_kinds(
        &mut self,
        l: &Typed,
        r: &Typed,
        left: &Expr,
        right: &Expr,
        site: &ExprSite<'_>,
    ) {
        let (Ty::Str(lk), Ty::Str(rk)) = (l.ty, r.ty) else {
            return;
        };
        for (kind, other, other_expr, feature) in [(lk, r, right, left), (rk, l, left, right)] {
            if let Some(Literal::Str(text)) = &other.literal {
                if !kind.accepts(text) {
                    self.report(
                        site,
                        other_expr.span.start,
                        ProblemKind::TypeMismatch,
                        format!(
                            "'{text}' can never equal `{feature}`, whose values are {}",
                            kind.describe()
                        ),
                    );
                }
            }
        }
        let literal = l.literal.is_some() || r.literal.is_some();
        if !literal && lk != rk && lk != StringKind::Text && rk != StringKind::Text {
            self.report(
                site,
                left.span.start,
                ProblemKind::TypeMismatch,
                format!(
                    "`{left}` holds {} but `{right}` holds {}; they can never be equal",
                    lk.describe(),
                    rk.describe()
                ),
            );
        }
    }

    fn lower_in(
        &mut self,
        value: &Expr,
        set: &SetRef,
        negated: bool,
        site: &ExprSite<'_>,
    ) -> Typed {
        let typed = self.lower(value, site);
        let kind = match typed.ty {
            Ty::Error => return self.poison(),
            Ty::Str(kind) | Ty::Multi(kind, ..) => kind,
            other => {
                return self.fail(
                    site,
                    value.span.start,
                    ProblemKind::TypeMismatch,
                    format!(
                        "`in` tests a string against a set, but `{value}` is {}",
                        other.describe()
                    ),
                );
            }
        };
        let Some(set) = self.lower_set_ref(set, kind, value, site) else {
            return self.poison();
        };
        let node = match typed.ty {
            Ty::Multi(_, start, len) => Node::AnyIn {
                start,
                len,
                set,
                negated,
            },
            _ => Node::In {
                value: typed.node,
                set,
                negated,
            },
        };
        self.typed(node, Ty::Bool)
    }

    fn lower_set_ref(
        &mut self,
        set: &SetRef,
        kind: StringKind,
        value: &Expr,
        site: &ExprSite<'_>,
    ) -> Option<u32> {
        match set {
            SetRef::Named(name) => self.use_set(name, kind, value, site),
            SetRef::List(items) => {
                let mut symbols = SymbolSet::default();
                for item in items {
                    if !kind.accepts(&item.text) {
                        self.report(
                            site,
                            item.span.start,
                            ProblemKind::TypeMismatch,
                            format!(
                                "'{}' can never match `{value}`, whose values are {}",
                                item.text,
                                kind.describe()
                            ),
                        );
                    }
                    symbols.insert(self.symbols.intern(&item.text));
                }
                Some(self.program.add_set(symbols))
            }
        }
    }

    /// Reports an unknown set named in an expression.
    pub(super) fn report_unknown_set(&mut self, name: &Name, site: &ExprSite<'_>, hint: String) {
        self.report(
            site,
            name.span.start,
            ProblemKind::UnknownSet,
            format!("unknown set `{}`; define it under [sets]{hint}", name.text),
        );
    }
}
