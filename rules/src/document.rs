//! Reads graph files into nodes whose values keep their locations, before
//! any type checking of predicates. Every unknown key, missing key and wrong
//! type is reported, and reading goes on past each problem, so one pass
//! finds them all.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::report::ProblemKind;
use crate::source::{At, Diagnostics, Loc, SourceFile};

/// All nodes of all files, in file order.
#[derive(Debug, Default)]
pub(crate) struct Document {
    pub graph: Vec<GraphMeta>,
    pub currency: Vec<CurrencySection>,
    pub sets: Vec<SetNode>,
    pub aggregates: Vec<AggregateNode>,
    pub rules: Vec<RuleNode>,
    pub typologies: Vec<TypologyNode>,
    pub decisions: Vec<DecisionNode>,
    pub overrides: Vec<OverrideNode>,
}

#[derive(Debug)]
pub(crate) struct GraphMeta {
    pub loc: Loc,
    pub name: Option<At<String>>,
}

#[derive(Debug)]
pub(crate) struct CurrencySection {
    pub loc: Loc,
    pub reference: Option<At<String>>,
    pub rates: Vec<(At<String>, At<f64>)>,
}

#[derive(Debug)]
pub(crate) struct SetNode {
    pub name: At<String>,
    pub values: Vec<At<String>>,
    pub include: Vec<At<String>>,
}

#[derive(Debug)]
pub(crate) struct AggregateNode {
    pub loc: Loc,
    pub id: Option<At<String>>,
    pub function: Option<At<String>>,
    pub key: Option<At<String>>,
    pub field: Option<At<String>>,
    pub window: Option<At<String>>,
    pub when: Option<At<String>>,
}

#[derive(Debug)]
pub(crate) struct RuleNode {
    pub loc: Loc,
    pub id: Option<At<String>>,
    pub when: Option<At<String>>,
    pub weight: Option<At<f64>>,
    pub value: Option<At<String>>,
    pub bands: Option<(Loc, Vec<BandNode>)>,
    pub reason: Option<At<String>>,
}

#[derive(Debug)]
pub(crate) struct BandNode {
    pub loc: Loc,
    pub below: Option<At<f64>>,
    pub weight: Option<At<f64>>,
    pub reason: Option<At<String>>,
}

#[derive(Debug)]
pub(crate) struct TypologyNode {
    pub loc: Loc,
    pub id: Option<At<String>>,
    /// Rule ids with an optional factor.
    pub rules: Vec<(At<String>, Option<At<f64>>)>,
    pub rules_loc: Option<Loc>,
    pub review: Option<At<f64>>,
    pub block: Option<At<f64>>,
}

#[derive(Debug)]
pub(crate) struct DecisionNode {
    pub loc: Loc,
    pub combine: Option<At<String>>,
    pub review: Option<At<f64>>,
    pub block: Option<At<f64>>,
    pub weights: Vec<(At<String>, At<f64>)>,
}

#[derive(Debug)]
pub(crate) struct OverrideNode {
    pub id: Option<At<String>>,
    pub when: Option<At<String>>,
    pub decision: Option<At<String>>,
    pub reason: Option<At<String>>,
}

type Item<'i> = Spanned<DeValue<'i>>;

/// One table of an array of tables.
struct Entry<'a, 'i> {
    loc: Loc,
    position: usize,
    table: &'a DeTable<'i>,
}

/// Parses every file and reads its nodes, recording problems in `diag`.
pub(crate) fn read(sources: &[SourceFile], diag: &mut Diagnostics<'_>) -> Document {
    let mut document = Document::default();
    for (file, source) in sources.iter().enumerate() {
        let (table, errors) = DeTable::parse_recoverable(&source.text);
        for error in &errors {
            let span = error.span().unwrap_or(0..0);
            diag.error(
                ProblemKind::TomlSyntax,
                Loc::new(file, span),
                None,
                format!("invalid TOML: {}", error.message()),
            );
        }
        let mut reader = Reader { diag, file };
        reader.top_level(table.get_ref(), &mut document);
    }
    document
}

/// Reads one file's tables; `file` is its index for locations.
struct Reader<'d, 's> {
    diag: &'d mut Diagnostics<'s>,
    file: usize,
}

/// The keys of one TOML table, tracking which ones the reader used so that
/// the rest can be reported as unknown.
struct Fields<'a, 'i> {
    table: &'a DeTable<'i>,
    used: Vec<&'static str>,
}

impl<'a, 'i> Fields<'a, 'i> {
    fn new(table: &'a DeTable<'i>) -> Self {
        Fields {
            table,
            used: Vec::new(),
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Item<'i>> {
        self.used.push(key);
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }
}

impl Reader<'_, '_> {
    fn loc(&self, span: std::ops::Range<usize>) -> Loc {
        Loc::new(self.file, span)
    }

    fn top_level(&mut self, table: &DeTable<'_>, document: &mut Document) {
        let mut fields = Fields::new(table);
        if let Some(item) = fields.get("graph") {
            if let Some(t) = self.table(item, "graph", "[graph]") {
                let meta = self.graph_meta(t, item);
                document.graph.push(meta);
            }
        }
        if let Some(item) = fields.get("currency") {
            if let Some(t) = self.table(item, "currency", "[currency]") {
                let section = self.currency(t, item);
                document.currency.push(section);
            }
        }
        if let Some(item) = fields.get("sets") {
            if let Some(t) = self.table(item, "sets", "[sets]") {
                self.sets(t, &mut document.sets);
            }
        }
        for entry in self.tables(fields.get("aggregate"), "aggregate") {
            let node = self.aggregate(&entry);
            document.aggregates.push(node);
        }
        for entry in self.tables(fields.get("rule"), "rule") {
            let node = self.rule(&entry);
            document.rules.push(node);
        }
        for entry in self.tables(fields.get("typology"), "typology") {
            let node = self.typology(&entry);
            document.typologies.push(node);
        }
        if let Some(item) = fields.get("decision") {
            if let Some(t) = self.table(item, "decision", "[decision]") {
                let node = self.decision(t, item);
                document.decisions.push(node);
            }
        }
        for entry in self.tables(fields.get("override"), "override") {
            let node = self.override_node(&entry);
            document.overrides.push(node);
        }
        self.finish(fields, "the top level", None);
    }

    /// Reports keys the reader did not use, listing the allowed ones.
    fn finish(&mut self, fields: Fields<'_, '_>, place: &str, node: Option<&str>) {
        for (key, _) in fields.table.iter() {
            let name = key.get_ref().as_ref();
            if !fields.used.contains(&name) {
                let allowed = fields.used.join(", ");
                let hint = crate::features::closest_name(name, fields.used.iter().copied())
                    .map(|close| format!("did you mean `{close}`? "))
                    .unwrap_or_default();
                self.diag.error(
                    ProblemKind::UnknownKey,
                    self.loc(key.span()),
                    node,
                    format!("unknown key `{name}` in {place}; {hint}allowed keys are: {allowed}"),
                );
            }
        }
    }

    /// Collects the items of an array of tables such as `[[rule]]`, each with
    /// its location and 1-based position for labelling a node without an id.
    fn tables<'a, 'i>(&mut self, item: Option<&'a Item<'i>>, key: &str) -> Vec<Entry<'a, 'i>> {
        let Some(item) = item else {
            return Vec::new();
        };
        let DeValue::Array(array) = item.get_ref() else {
            self.wrong_type(
                item,
                key,
                None,
                &format!("an array of tables, written [[{key}]]"),
            );
            return Vec::new();
        };
        let mut entries = Vec::new();
        for (i, entry) in array.iter().enumerate() {
            match entry.get_ref().as_table() {
                Some(table) => entries.push(Entry {
                    loc: self.loc(entry.span()),
                    position: i + 1,
                    table,
                }),
                None => self.wrong_type(entry, key, None, &format!("a table, written [[{key}]]")),
            }
        }
        entries
    }

    fn wrong_type(&mut self, item: &Item<'_>, key: &str, node: Option<&str>, expected: &str) {
        self.diag.error(
            ProblemKind::WrongType,
            self.loc(item.span()),
            node,
            format!(
                "`{key}` must be {expected}, not a {}",
                item.get_ref().type_str()
            ),
        );
    }

    fn missing(&mut self, loc: Loc, key: &str, node: &str, example: &str) {
        self.diag.error(
            ProblemKind::MissingKey,
            loc,
            Some(node),
            format!("missing required key `{key}`; add it, for example {example}"),
        );
    }

    fn table<'a, 'i>(
        &mut self,
        item: &'a Item<'i>,
        key: &str,
        what: &str,
    ) -> Option<&'a DeTable<'i>> {
        let table = item.get_ref().as_table();
        if table.is_none() {
            self.wrong_type(item, key, None, &format!("a table, written {what}"));
        }
        table
    }

    fn string(
        &mut self,
        item: Option<&Item<'_>>,
        key: &str,
        node: Option<&str>,
    ) -> Option<At<String>> {
        let item = item?;
        match item.get_ref().as_str() {
            Some(text) => Some(At::new(text.to_owned(), self.loc(item.span()))),
            None => {
                self.wrong_type(item, key, node, "a string");
                None
            }
        }
    }

    fn number(
        &mut self,
        item: Option<&Item<'_>>,
        key: &str,
        node: Option<&str>,
    ) -> Option<At<f64>> {
        let item = item?;
        let parsed = match item.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => {
                self.wrong_type(item, key, node, "a number");
                return None;
            }
        };
        match parsed {
            Some(n) if n.is_finite() => Some(At::new(n, self.loc(item.span()))),
            _ => {
                self.diag.error(
                    ProblemKind::OutOfRange,
                    self.loc(item.span()),
                    node,
                    format!("`{key}` must be a finite number that fits in 64 bits"),
                );
                None
            }
        }
    }

    fn strings(&mut self, item: &Item<'_>, key: &str, node: Option<&str>) -> Vec<At<String>> {
        let Some(array) = item.get_ref().as_array() else {
            self.wrong_type(item, key, node, "an array of strings");
            return Vec::new();
        };
        array
            .iter()
            .filter_map(|entry| self.string(Some(entry), key, node))
            .collect()
    }

    /// Reads a table of names to numbers, such as rates or weights.
    fn number_table(
        &mut self,
        item: &Item<'_>,
        key: &str,
        node: Option<&str>,
    ) -> Vec<(At<String>, At<f64>)> {
        let Some(table) = item.get_ref().as_table() else {
            self.wrong_type(item, key, node, "a table of names to numbers");
            return Vec::new();
        };
        let mut entries = Vec::new();
        for (name, value) in table.iter() {
            let name_at = At::new(name.get_ref().to_string(), self.loc(name.span()));
            let label = format!("{key}.{}", name_at.value);
            if let Some(number) = self.number(Some(value), &label, node) {
                entries.push((name_at, number));
            }
        }
        entries
    }

    /// Reads the `id` of a node and returns it with the label used for the node in problems.
    fn id(
        &mut self,
        fields: &mut Fields<'_, '_>,
        kind: &str,
        entry: &Entry<'_, '_>,
    ) -> (Option<At<String>>, String) {
        let item = fields.get("id");
        let id = self.string(item, "id", None);
        let label = match &id {
            Some(id) => format!("{kind} `{}`", id.value),
            None => format!("{kind} #{} of the file", entry.position),
        };
        if item.is_none() {
            self.missing(entry.loc, "id", &label, "id = \"large_amount\"");
        }
        (id, label)
    }

    fn graph_meta(&mut self, table: &DeTable<'_>, item: &Item<'_>) -> GraphMeta {
        let mut fields = Fields::new(table);
        let name = self.string(fields.get("name"), "name", Some("[graph]"));
        // The description is for people; it is read only to check its type.
        self.string(fields.get("description"), "description", Some("[graph]"));
        self.finish(fields, "[graph]", Some("[graph]"));
        GraphMeta {
            loc: self.loc(item.span()),
            name,
        }
    }

    fn currency(&mut self, table: &DeTable<'_>, item: &Item<'_>) -> CurrencySection {
        let node = Some("[currency]");
        let loc = self.loc(item.span());
        let mut fields = Fields::new(table);
        let reference = self.string(fields.get("reference"), "reference", node);
        if reference.is_none() && !table_has(table, "reference") {
            self.missing(loc, "reference", "[currency]", "reference = \"EUR\"");
        }
        let rates = match fields.get("rates") {
            Some(rates) => self.number_table(rates, "rates", node),
            None => Vec::new(),
        };
        self.finish(fields, "[currency]", node);
        CurrencySection {
            loc,
            reference,
            rates,
        }
    }

    fn sets(&mut self, table: &DeTable<'_>, sets: &mut Vec<SetNode>) {
        for (name, value) in table.iter() {
            let name = At::new(name.get_ref().to_string(), self.loc(name.span()));
            let label = format!("set `{}`", name.value);
            let (values, include) = match value.get_ref() {
                DeValue::Array(_) => (self.strings(value, &name.value, Some(&label)), Vec::new()),
                DeValue::Table(t) => self.composite_set(t, &label),
                _ => {
                    self.wrong_type(
                        value,
                        &name.value,
                        Some(&label),
                        "an array of strings or a table with `values` and `include`",
                    );
                    continue;
                }
            };
            sets.push(SetNode {
                name,
                values,
                include,
            });
        }
    }

    fn composite_set(
        &mut self,
        table: &DeTable<'_>,
        label: &str,
    ) -> (Vec<At<String>>, Vec<At<String>>) {
        let mut fields = Fields::new(table);
        let values = fields
            .get("values")
            .map(|v| self.strings(v, "values", Some(label)))
            .unwrap_or_default();
        let include = fields
            .get("include")
            .map(|v| self.strings(v, "include", Some(label)))
            .unwrap_or_default();
        self.finish(fields, label, Some(label));
        (values, include)
    }

    fn aggregate(&mut self, entry: &Entry<'_, '_>) -> AggregateNode {
        let (loc, table) = (entry.loc, entry.table);
        let mut fields = Fields::new(table);
        let (id, label) = self.id(&mut fields, "aggregate", entry);
        let node = Some(label.as_str());
        let function = self.string(fields.get("function"), "function", node);
        let key = self.string(fields.get("key"), "key", node);
        let field = self.string(fields.get("field"), "field", node);
        let window = self.string(fields.get("window"), "window", node);
        let when = self.string(fields.get("when"), "when", node);
        self.string(fields.get("description"), "description", node);
        for (value, name, example) in [
            (&function, "function", "function = \"count\""),
            (&key, "key", "key = \"debtor_account\""),
            (&window, "window", "window = \"24h\""),
        ] {
            if value.is_none() && !table_has(table, name) {
                self.missing(loc, name, &label, example);
            }
        }
        self.finish(fields, &label, node);
        AggregateNode {
            loc,
            id,
            function,
            key,
            field,
            window,
            when,
        }
    }

    fn rule(&mut self, entry: &Entry<'_, '_>) -> RuleNode {
        let (loc, table) = (entry.loc, entry.table);
        let mut fields = Fields::new(table);
        let (id, label) = self.id(&mut fields, "rule", entry);
        let node = Some(label.as_str());
        let when = self.string(fields.get("when"), "when", node);
        let weight = self.number(fields.get("weight"), "weight", node);
        let value = self.string(fields.get("value"), "value", node);
        let bands = fields.get("bands").map(|b| self.bands(b, &label));
        let reason = self.string(fields.get("reason"), "reason", node);
        self.string(fields.get("description"), "description", node);
        self.check_rule_keys(table, loc, &label);
        if reason.is_none() && !table_has(table, "reason") {
            self.missing(
                loc,
                "reason",
                &label,
                "reason = \"Amount of 10,000 or more\"",
            );
        }
        self.finish(fields, &label, node);
        RuleNode {
            loc,
            id,
            when,
            weight,
            value,
            bands,
            reason,
        }
    }

    /// Reports the keys a rule lacks: a predicate rule needs `when` and
    /// `weight`, a band rule needs `value`.
    fn check_rule_keys(&mut self, table: &DeTable<'_>, loc: Loc, label: &str) {
        let missing: &[(&str, &str)] = if table_has(table, "bands") {
            &[("value", "value = \"sanctions(any)\"")]
        } else {
            &[
                ("when", "when = \"amount >= 10000\""),
                ("weight", "weight = 40"),
            ]
        };
        for (key, example) in missing {
            if !table_has(table, key) {
                self.missing(loc, key, label, example);
            }
        }
    }

    fn bands(&mut self, item: &Item<'_>, label: &str) -> (Loc, Vec<BandNode>) {
        let loc = self.loc(item.span());
        let Some(array) = item.get_ref().as_array() else {
            self.wrong_type(
                item,
                "bands",
                Some(label),
                "an array of tables such as [{ below = 0.8, weight = 0 }, { weight = 100 }]",
            );
            return (loc, Vec::new());
        };
        let mut bands = Vec::new();
        for entry in array.iter() {
            let Some(table) = entry.get_ref().as_table() else {
                self.wrong_type(
                    entry,
                    "bands",
                    Some(label),
                    "a table such as { below = 0.8, weight = 0 }",
                );
                continue;
            };
            let mut fields = Fields::new(table);
            let below = self.number(fields.get("below"), "below", Some(label));
            let weight = self.number(fields.get("weight"), "weight", Some(label));
            let reason = self.string(fields.get("reason"), "reason", Some(label));
            let band_loc = self.loc(entry.span());
            if weight.is_none() && !table_has(table, "weight") {
                self.missing(band_loc, "weight", label, "{ below = 0.8, weight = 0 }");
            }
            self.finish(fields, "a band", Some(label));
            bands.push(BandNode {
                loc: band_loc,
                below,
                weight,
                reason,
            });
        }
        (loc, bands)
    }

    fn typology(&mut self, entry: &Entry<'_, '_>) -> TypologyNode {
        let (loc, table) = (entry.loc, entry.table);
        let mut fields = Fields::new(table);
        let (id, label) = self.id(&mut fields, "typology", entry);
        let node = Some(label.as_str());
        let rules_item = fields.get("rules");
        let rules = rules_item
            .map(|r| self.typology_rules(r, &label))
            .unwrap_or_default();
        if rules_item.is_none() {
            self.missing(
                loc,
                "rules",
                &label,
                "rules = [\"large_amount\", { rule = \"structuring\", factor = 0.5 }]",
            );
        }
        let review = self.number(fields.get("review"), "review", node);
        let block = self.number(fields.get("block"), "block", node);
        self.string(fields.get("description"), "description", node);
        for (value, name, example) in [
            (&review, "review", "review = 50"),
            (&block, "block", "block = 100"),
        ] {
            if value.is_none() && !table_has(table, name) {
                self.missing(loc, name, &label, example);
            }
        }
        self.finish(fields, &label, node);
        TypologyNode {
            loc,
            id,
            rules,
            rules_loc: rules_item.map(|r| self.loc(r.span())),
            review,
            block,
        }
    }

    fn typology_rules(
        &mut self,
        item: &Item<'_>,
        label: &str,
    ) -> Vec<(At<String>, Option<At<f64>>)> {
        let Some(array) = item.get_ref().as_array() else {
            self.wrong_type(item, "rules", Some(label), "an array of rule ids");
            return Vec::new();
        };
        let mut rules = Vec::new();
        for entry in array.iter() {
            match entry.get_ref() {
                DeValue::String(id) => {
                    rules.push((At::new(id.to_string(), self.loc(entry.span())), None))
                }
                DeValue::Table(table) => {
                    let mut fields = Fields::new(table);
                    let rule = self.string(fields.get("rule"), "rule", Some(label));
                    let factor = self.number(fields.get("factor"), "factor", Some(label));
                    if rule.is_none() && !table_has(table, "rule") {
                        self.missing(
                            self.loc(entry.span()),
                            "rule",
                            label,
                            "{ rule = \"structuring\", factor = 0.5 }",
                        );
                    }
                    self.finish(fields, "a typology rule entry", Some(label));
                    if let Some(rule) = rule {
                        rules.push((rule, factor));
                    }
                }
                _ => self.wrong_type(
                    entry,
                    "rules",
                    Some(label),
                    "a rule id or a table { rule = \"id\", factor = 0.5 }",
                ),
            }
        }
        rules
    }

    fn decision(&mut self, table: &DeTable<'_>, item: &Item<'_>) -> DecisionNode {
        let node = Some("[decision]");
        let loc = self.loc(item.span());
        let mut fields = Fields::new(table);
        let combine = self.string(fields.get("combine"), "combine", node);
        if combine.is_none() && !table_has(table, "combine") {
            self.missing(loc, "combine", "[decision]", "combine = \"max\"");
        }
        let review = self.number(fields.get("review"), "review", node);
        let block = self.number(fields.get("block"), "block", node);
        let weights = match fields.get("weights") {
            Some(w) => self.number_table(w, "weights", node),
            None => Vec::new(),
        };
        self.finish(fields, "[decision]", node);
        DecisionNode {
            loc,
            combine,
            review,
            block,
            weights,
        }
    }

    fn override_node(&mut self, entry: &Entry<'_, '_>) -> OverrideNode {
        let (loc, table) = (entry.loc, entry.table);
        let mut fields = Fields::new(table);
        let (id, label) = self.id(&mut fields, "override", entry);
        let node = Some(label.as_str());
        let when = self.string(fields.get("when"), "when", node);
        let decision = self.string(fields.get("decision"), "decision", node);
        let reason = self.string(fields.get("reason"), "reason", node);
        self.string(fields.get("description"), "description", node);
        for (value, name, example) in [
            (&when, "when", "when = \"sanctions(any) >= 0.95\""),
            (&decision, "decision", "decision = \"block\""),
            (&reason, "reason", "reason = \"Strong sanctions match\""),
        ] {
            if value.is_none() && !table_has(table, name) {
                self.missing(loc, name, &label, example);
            }
        }
        self.finish(fields, &label, node);
        OverrideNode {
            id,
            when,
            decision,
            reason,
        }
    }
}

fn table_has(table: &DeTable<'_>, key: &str) -> bool {
    table.iter().any(|(k, _)| k.get_ref().as_ref() == key)
}
