//! Replaying one statement into the catalog.

use pg_query::protobuf::{
    AlterTableStmt, AlterTableType, ColumnDef, ConstrType, CreateStmt, DropBehavior, DropStmt,
    IndexElem, IndexStmt, Node, ObjectType, RangeVar, RenameStmt, SelectStmt, SortByDir,
    SortByNulls, a_const,
};
use pg_query::{DeparseOptions, NodeEnum};

use super::{
    Catalog, Column, Constraint, ConstraintKind, Index, Origin, QualifiedName, RelationKind, Table,
    expr, types,
};
use crate::parse::ast;

/// The table a `RangeVar` names.
pub fn range_var(range_var: &RangeVar) -> QualifiedName {
    let (schema, name) = ast::range_var_name(range_var);
    QualifiedName::new(schema, name)
}

impl Catalog {
    /// Applies the effect of `node`, the statement at `origin`. Statements the catalog does not
    /// model leave it unchanged.
    pub fn apply(&mut self, node: &NodeEnum, origin: Origin) {
        let migration = origin.migration;
        match node {
            NodeEnum::CreateSchemaStmt(stmt) => {
                self.schemas.insert(stmt.schemaname.clone());
                // `CREATE SCHEMA s CREATE TABLE t ...`: unqualified elements land in `s`.
                for element in stmt.schema_elts.iter().filter_map(|e| e.node.as_ref()) {
                    let mut element = element.clone();
                    let relation = match &mut element {
                        NodeEnum::CreateStmt(create) => create.relation.as_mut(),
                        NodeEnum::IndexStmt(index) => index.relation.as_mut(),
                        NodeEnum::ViewStmt(view) => view.view.as_mut(),
                        _ => None,
                    };
                    if let Some(relation) = relation.filter(|r| r.schemaname.is_empty()) {
                        relation.schemaname = stmt.schemaname.clone();
                    }
                    self.apply(&element, origin);
                }
            }
            NodeEnum::CreateStmt(stmt) => self.create_table(stmt, origin),
            NodeEnum::CreateTableAsStmt(stmt) => {
                if let Some(rel) = stmt.into.as_ref().and_then(|into| into.rel.as_ref()) {
                    let kind = if stmt.objtype == ObjectType::ObjectMatview as i32 {
                        RelationKind::MaterializedView
                    } else {
                        RelationKind::Table
                    };
                    self.add_relation(range_var(rel), kind, migration);
                }
            }
            NodeEnum::ViewStmt(stmt) => {
                if let Some(view) = &stmt.view {
                    self.add_relation(range_var(view), RelationKind::View, migration);
                }
            }
            NodeEnum::AlterTableStmt(stmt) => self.alter_table(stmt, origin),
            NodeEnum::IndexStmt(stmt) => self.create_index(stmt, origin),
            NodeEnum::RenameStmt(stmt) => self.rename(stmt),
            NodeEnum::DropStmt(stmt) => self.drop(stmt),
            // EXPLAIN ANALYZE runs the statement: CREATE TABLE AS / MATERIALIZED VIEW create it.
            NodeEnum::ExplainStmt(stmt) if ast::option_enabled(&stmt.options, "analyze") => {
                if let Some(query) = stmt.query.as_deref().and_then(|query| query.node.as_ref()) {
                    self.apply(query, origin);
                }
            }
            NodeEnum::SelectStmt(stmt) => {
                // `SELECT ... INTO t` creates a table like `CREATE TABLE t AS`.
                if let Some(rel) = stmt.into_clause.as_ref().and_then(|into| into.rel.as_ref()) {
                    self.add_relation(range_var(rel), RelationKind::Table, migration);
                }
                for table in hypertables(stmt) {
                    if let Some(table) = self.tables.get_mut(&table) {
                        table.hypertable = true;
                    }
                }
            }
            _ => {}
        }
    }

    fn add_relation(&mut self, name: QualifiedName, kind: RelationKind, migration: usize) {
        self.outside.remove(&name);
        let table = Table {
            name: name.clone(),
            kind,
            columns: Vec::new(),
            constraints: Vec::new(),
            created_in: migration,
            hypertable: false,
            partitioned: false,
            partition_of: None,
        };
        self.replace_relation(table);
    }

    /// Records a new relation. Creating it means no relation of that name existed, so indexes
    /// recorded on that name (on a table made outside these migrations, or by a file replayed
    /// twice) are gone too.
    fn replace_relation(&mut self, table: Table) {
        self.indexes.remove_table(&table.name);
        self.tables.insert(table.name.clone(), table);
    }

    fn create_table(&mut self, stmt: &CreateStmt, origin: Origin) {
        let migration = origin.migration;
        let Some(relation) = &stmt.relation else {
            return;
        };
        let name = range_var(relation);
        if stmt.if_not_exists && self.tables.contains_key(&name) {
            return;
        }
        // `PARTITION OF parent`: the parent is the one inherited relation.
        let partition_of = stmt
            .partbound
            .as_ref()
            .and_then(|_| stmt.inh_relations.first())
            .and_then(|parent| match parent.node.as_ref() {
                Some(NodeEnum::RangeVar(parent)) => Some(range_var(parent)),
                _ => None,
            });
        let mut table = Table {
            name: name.clone(),
            kind: RelationKind::Table,
            // A partition has its parent's columns.
            columns: partition_of
                .as_ref()
                .and_then(|parent| self.tables.get(parent))
                .map(|parent| parent.columns.clone())
                .unwrap_or_default(),
            constraints: Vec::new(),
            created_in: migration,
            hypertable: false,
            partitioned: stmt.partspec.is_some(),
            partition_of,
        };
        for element in &stmt.table_elts {
            match element.node.as_ref() {
                Some(NodeEnum::ColumnDef(column)) => add_column(&mut table, column, migration),
                Some(NodeEnum::Constraint(constraint)) => {
                    add_constraint(&mut table, constraint, &[], migration)
                }
                _ => {}
            }
        }
        let explicit: Vec<&str> = stmt
            .table_elts
            .iter()
            .flat_map(|element| match element.node.as_ref() {
                Some(NodeEnum::ColumnDef(column)) => column.constraints.iter().collect(),
                Some(NodeEnum::Constraint(_)) => vec![element],
                _ => Vec::new(),
            })
            .filter_map(|node| match node.node.as_ref() {
                Some(NodeEnum::Constraint(c)) if !c.conname.is_empty() => Some(c.conname.as_str()),
                _ => None,
            })
            .collect();
        merge_repeated_index_constraints(&mut table.constraints, &explicit);
        self.replace_relation(table);
        self.add_constraint_indexes(&name, origin);
    }

    fn alter_table(&mut self, stmt: &AlterTableStmt, origin: Origin) {
        let migration = origin.migration;
        let Some(relation) = &stmt.relation else {
            return;
        };
        let name = range_var(relation);
        if !self.tables.contains_key(&name) {
            self.alter_outside(stmt, &name, migration);
            return;
        }
        for cmd in &stmt.cmds {
            let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node.as_ref() else {
                continue;
            };
            let Some(table) = self.tables.get_mut(&name) else {
                return;
            };
            let subtype =
                AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined);
            let def = cmd.def.as_deref().and_then(|def| def.node.as_ref());
            match (subtype, def) {
                (AlterTableType::AtAddColumn, Some(NodeEnum::ColumnDef(column)))
                    if !(cmd.missing_ok && table.column(&column.colname).is_some()) =>
                {
                    add_column(table, column, migration);
                    // A column's own PRIMARY KEY or UNIQUE brings its index.
                    self.add_constraint_indexes(&name, origin);
                }
                (AlterTableType::AtDropColumn, _) => self.drop_column(&name, &cmd.name),
                (AlterTableType::AtAlterColumnType, Some(NodeEnum::ColumnDef(column))) => {
                    if let (Some(existing), Some(type_name)) = (
                        table.columns.iter_mut().find(|c| c.name == cmd.name),
                        &column.type_name,
                    ) {
                        existing.type_name = types::type_name(type_name);
                    }
                }
                (AlterTableType::AtSetNotNull | AlterTableType::AtDropNotNull, _) => {
                    if let Some(column) = table.columns.iter_mut().find(|c| c.name == cmd.name) {
                        column.not_null = subtype == AlterTableType::AtSetNotNull;
                    }
                }
                (AlterTableType::AtColumnDefault, _) => {
                    if let Some(column) = table.columns.iter_mut().find(|c| c.name == cmd.name) {
                        set_default(column, cmd.def.as_deref());
                    }
                }
                // A constraint of a name the table has already: PostgreSQL refuses it
                // (`duplicate_object`, which drizzle-kit's `DO ... EXCEPTION` blocks catch), so
                // the table keeps the one it has.
                (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(constraint)))
                    if table.has_constraint(&constraint.conname) => {}
                (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(constraint))) => {
                    // `PRIMARY KEY USING INDEX i` / `UNIQUE USING INDEX i`: the index becomes the
                    // constraint's, renamed after it, and gives it its columns.
                    let mut columns = Vec::new();
                    let existing = QualifiedName::new(Some(&name.schema), &constraint.indexname);
                    if let Some(mut index) = (!constraint.indexname.is_empty())
                        .then(|| self.indexes.remove(&existing))
                        .flatten()
                    {
                        columns = index.columns.iter().flatten().cloned().collect();
                        let renamed = if constraint.conname.is_empty() {
                            &constraint.indexname
                        } else {
                            &constraint.conname
                        };
                        index.name = QualifiedName::new(Some(&name.schema), renamed);
                        index.unique = true;
                        index.primary = constraint.contype == ConstrType::ConstrPrimary as i32;
                        index.constraint = true;
                        self.indexes.insert(index);
                    }
                    add_constraint(table, constraint, &columns, migration);
                    if constraint.conname.is_empty()
                        && !constraint.indexname.is_empty()
                        && let Some(added) = table.constraints.last_mut()
                    {
                        added.name = Some(constraint.indexname.clone());
                    }
                    self.add_constraint_indexes(&name, origin);
                }
                (AlterTableType::AtValidateConstraint, _) => {
                    for constraint in &mut table.constraints {
                        if constraint.name.as_deref() == Some(cmd.name.as_str()) {
                            constraint.validated = true;
                        }
                    }
                }
                (AlterTableType::AtDropConstraint, _) => {
                    table.constraints.retain(|c| c.name_on(&name) != cmd.name);
                    let index = QualifiedName::new(Some(&name.schema), &cmd.name);
                    self.indexes.remove(&index);
                }
                (AlterTableType::AtAttachPartition, Some(NodeEnum::PartitionCmd(partition))) => {
                    if table.partitioned
                        && let Some(part) = partition.name.as_ref().map(range_var)
                        && let Some(part) = self.tables.get_mut(&part)
                    {
                        part.partition_of = Some(name.clone());
                    }
                }
                // Plain, CONCURRENTLY and FINALIZE: the partition ends up a table of its own.
                (
                    AlterTableType::AtDetachPartition | AlterTableType::AtDetachPartitionFinalize,
                    Some(NodeEnum::PartitionCmd(partition)),
                ) => {
                    if let Some(part) = partition.name.as_ref().map(range_var)
                        && let Some(part) = self.tables.get_mut(&part)
                        && part.partition_of.as_ref() == Some(&name)
                    {
                        part.partition_of = None;
                    }
                }
                _ => {}
            }
        }
    }

    /// PRIMARY KEY and UNIQUE constraints bring an index named after the constraint.
    fn add_constraint_indexes(&mut self, table: &QualifiedName, origin: Origin) {
        let Some(definition) = self.tables.get(table) else {
            return;
        };
        for constraint in &definition.constraints {
            if !matches!(
                constraint.kind,
                ConstraintKind::PrimaryKey | ConstraintKind::Unique
            ) {
                continue;
            }
            let index_name = constraint.name.clone().unwrap_or_else(|| {
                let suffix = if constraint.kind == ConstraintKind::PrimaryKey {
                    "pkey".to_owned()
                } else {
                    format!("{}_key", constraint.columns.join("_"))
                };
                format!("{}_{suffix}", table.name)
            });
            let name = QualifiedName::new(Some(&table.schema), &index_name);
            if self.indexes.contains(&name) {
                continue;
            }
            self.indexes.insert(Index {
                name,
                table: table.clone(),
                columns: constraint.columns.iter().cloned().map(Some).collect(),
                unique: true,
                primary: constraint.kind == ConstraintKind::PrimaryKey,
                constraint: true,
                partial: false,
                predicate: None,
                not_null_predicate: None,
                method: "btree".to_owned(),
                key_options: vec![String::new(); constraint.columns.len()],
                include: Vec::new(),
                calls: Vec::new(),
                created_at: origin,
            });
        }
    }

    fn create_index(&mut self, stmt: &IndexStmt, origin: Origin) {
        let Some(relation) = &stmt.relation else {
            return;
        };
        let table = range_var(relation);
        let name = if stmt.idxname.is_empty() {
            // PostgreSQL's choice: `<table>_<keys>_idx`, numbered when taken.
            let columns = key_columns(&index_elems(stmt));
            let keys: Vec<&str> = columns
                .iter()
                .map(|c| c.as_deref().unwrap_or("expr"))
                .collect();
            let base = format!("{}_{}_idx", table.name, keys.join("_"));
            (0..)
                .map(|n| {
                    let candidate = if n == 0 {
                        base.clone()
                    } else {
                        format!("{base}{n}")
                    };
                    QualifiedName::new(Some(&table.schema), &candidate)
                })
                .find(|candidate| !self.indexes.contains(candidate))
                .expect("an unused name")
        } else {
            QualifiedName::new(Some(&table.schema), &stmt.idxname)
        };
        if stmt.if_not_exists && self.indexes.contains(&name) {
            return;
        }
        self.indexes.insert(index_of(stmt, name, table, origin));
    }

    /// Whether `CREATE INDEX` (without `ONLY`) on a partitioned table finds an index of the
    /// same definition on each of its partitions: PostgreSQL then attaches those instead of
    /// building one, and the parent's index is valid at once (the last step of building it a
    /// partition at a time).
    pub fn attaches_partition_indexes(&self, stmt: &IndexStmt) -> bool {
        let Some(relation) = &stmt.relation else {
            return false;
        };
        let table = range_var(relation);
        if !relation.inh || !self.is_partitioned(&table) {
            return false;
        }
        let wanted = index_of(
            stmt,
            QualifiedName::default(),
            table.clone(),
            Origin::default(),
        );
        let mut partitions = self.partitions_of(&table).peekable();
        partitions.peek().is_some()
            && partitions.all(|partition| {
                !partition.partitioned
                    && self.indexes_on(&partition.name).any(|index| {
                        index.columns == wanted.columns
                            && index.key_options == wanted.key_options
                            && index.method == wanted.method
                            && index.unique == wanted.unique
                            && index.predicate == wanted.predicate
                            && index.include == wanted.include
                    })
            })
    }

    /// `ALTER TABLE` of a table the migrations never created: only the columns they add are
    /// followed (see [`Catalog::outside`]).
    fn alter_outside(&mut self, stmt: &AlterTableStmt, name: &QualifiedName, migration: usize) {
        let mut stub = Table {
            name: name.clone(),
            kind: RelationKind::Table,
            columns: self.outside.remove(name).unwrap_or_default(),
            constraints: Vec::new(),
            created_in: migration,
            hypertable: false,
            partitioned: false,
            partition_of: None,
        };
        for cmd in &stmt.cmds {
            let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node.as_ref() else {
                continue;
            };
            let subtype =
                AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined);
            let def = cmd.def.as_deref().and_then(|def| def.node.as_ref());
            let column = stub.columns.iter_mut().find(|c| c.name == cmd.name);
            match (subtype, def) {
                (AlterTableType::AtAddColumn, Some(NodeEnum::ColumnDef(column))) => {
                    if cmd.missing_ok {
                        // Whether the column was there already is not known.
                        continue;
                    }
                    stub.columns.retain(|c| c.name != column.colname);
                    add_column(&mut stub, column, migration);
                    stub.constraints.clear();
                }
                (AlterTableType::AtDropColumn, _) => {
                    stub.columns.retain(|c| c.name != cmd.name);
                }
                (AlterTableType::AtAlterColumnType, Some(NodeEnum::ColumnDef(def))) => {
                    let Some(type_name) = &def.type_name else {
                        continue;
                    };
                    match column {
                        Some(existing) => existing.type_name = types::type_name(type_name),
                        // From here on the column's type is known, though not its other traits:
                        // a later type change is judged against this one.
                        None => stub.columns.push(Column {
                            name: cmd.name.clone(),
                            type_name: types::type_name(type_name),
                            not_null: false,
                            has_default: false,
                            generated: false,
                            calls: Vec::new(),
                            added_in: Column::FOUND,
                        }),
                    }
                }
                (AlterTableType::AtSetNotNull | AlterTableType::AtDropNotNull, _) => {
                    if let Some(existing) = column {
                        existing.not_null = subtype == AlterTableType::AtSetNotNull;
                    }
                }
                (AlterTableType::AtColumnDefault, _) => {
                    if let Some(existing) = column {
                        set_default(existing, cmd.def.as_deref());
                    }
                }
                _ => {}
            }
        }
        if !stub.columns.is_empty() {
            self.outside.insert(name.clone(), stub.columns);
        }
    }

    fn rename(&mut self, stmt: &RenameStmt) {
        let rename_type = ObjectType::try_from(stmt.rename_type).unwrap_or(ObjectType::Undefined);
        let Some(relation) = &stmt.relation else {
            return;
        };
        let old = range_var(relation);
        match rename_type {
            ObjectType::ObjectTable | ObjectType::ObjectView | ObjectType::ObjectMatview => {
                let Some(mut table) = self.tables.remove(&old) else {
                    if let Some(columns) = self.outside.remove(&old) {
                        let new = QualifiedName::new(Some(&old.schema), &stmt.newname);
                        self.outside.insert(new, columns);
                    }
                    return;
                };
                let new = QualifiedName::new(Some(&old.schema), &stmt.newname);
                table.name = new.clone();
                self.indexes.rename_table(&old, &new);
                for partition in self.tables.values_mut() {
                    if partition.partition_of.as_ref() == Some(&old) {
                        partition.partition_of = Some(new.clone());
                    }
                }
                self.tables.insert(new, table);
            }
            ObjectType::ObjectColumn => {
                let Some(table) = self.tables.get_mut(&old) else {
                    for column in self.outside.get_mut(&old).into_iter().flatten() {
                        if column.name == stmt.subname {
                            column.name = stmt.newname.clone();
                        }
                    }
                    return;
                };
                for column in table.columns.iter_mut().filter(|c| c.name == stmt.subname) {
                    column.name = stmt.newname.clone();
                }
                for constraint in &mut table.constraints {
                    for column in constraint
                        .columns
                        .iter_mut()
                        .chain(&mut constraint.not_null_columns)
                        .filter(|c| **c == stmt.subname)
                    {
                        *column = stmt.newname.clone();
                    }
                }
                self.indexes.update_on_table(&old, |index| {
                    for column in index
                        .columns
                        .iter_mut()
                        .flatten()
                        .chain(index.include.iter_mut())
                        .filter(|c| **c == stmt.subname)
                    {
                        *column = stmt.newname.clone();
                    }
                });
            }
            ObjectType::ObjectIndex => {
                if let Some(mut index) = self.indexes.remove(&old) {
                    index.name = QualifiedName::new(Some(&old.schema), &stmt.newname);
                    self.indexes.insert(index);
                }
            }
            ObjectType::ObjectTabconstraint => {
                let Some(table) = self.tables.get_mut(&old) else {
                    return;
                };
                for constraint in &mut table.constraints {
                    if constraint.name.as_deref() == Some(stmt.subname.as_str()) {
                        constraint.name = Some(stmt.newname.clone());
                    }
                }
            }
            _ => {}
        }
    }

    /// Drops a table and, as PostgreSQL does, its partitions.
    fn drop_table(&mut self, name: &QualifiedName) {
        self.outside.remove(name);
        let partitions: Vec<QualifiedName> = self
            .partitions_of(name)
            .map(|partition| partition.name.clone())
            .collect();
        self.tables.remove(name);
        self.indexes.remove_table(name);
        for partition in partitions {
            self.drop_table(&partition);
        }
    }

    /// Drops `column` of `table`, with the constraints and indexes on it.
    fn drop_column(&mut self, name: &QualifiedName, column: &str) {
        let Some(table) = self.tables.get_mut(name) else {
            return;
        };
        table.columns.retain(|c| c.name != column);
        table.constraints.retain(|c| {
            !c.columns.iter().any(|c| c == column)
                && !c.not_null_columns.iter().any(|c| c == column)
        });
        self.indexes.retain_on_table(name, |index| {
            !(index.columns.iter().any(|c| c.as_deref() == Some(column))
                || index.include.iter().any(|c| c == column))
        });
    }

    /// `DROP FUNCTION ... CASCADE` of `function` (every overload of the name: which one an
    /// expression calls is not known), as PostgreSQL 15 does it: a generated column computed
    /// with it is dropped, a default calling it is dropped (the column stays), and so are the
    /// CHECK constraints and indexes whose expressions call it.
    fn drop_function(&mut self, function: &QualifiedName) {
        let mut lost: Vec<(QualifiedName, String)> = Vec::new();
        for (name, table) in &mut self.tables {
            for column in &mut table.columns {
                if !column.calls.contains(function) {
                    continue;
                }
                if column.generated {
                    lost.push((name.clone(), column.name.clone()));
                } else {
                    set_default(column, None);
                }
            }
            table
                .constraints
                .retain(|constraint| !constraint.calls.contains(function));
        }
        for columns in self.outside.values_mut() {
            for column in columns.iter_mut().filter(|c| c.calls.contains(function)) {
                set_default(column, None);
            }
        }
        self.indexes.retain(|index| !index.calls.contains(function));
        for (table, column) in lost {
            self.drop_column(&table, &column);
        }
    }

    fn drop(&mut self, stmt: &DropStmt) {
        if matches!(
            ObjectType::try_from(stmt.remove_type),
            Ok(ObjectType::ObjectFunction | ObjectType::ObjectRoutine)
        ) {
            // Without CASCADE, PostgreSQL refuses to drop a function something depends on.
            if stmt.behavior == DropBehavior::DropCascade as i32 {
                for function in dropped_functions(stmt) {
                    self.drop_function(&function);
                }
            }
            return;
        }
        let remove_type = ObjectType::try_from(stmt.remove_type).unwrap_or(ObjectType::Undefined);
        for object in &stmt.objects {
            let Some(parts) = ast::qualified_name(object) else {
                continue;
            };
            let Some(name) = QualifiedName::from_parts(&parts) else {
                continue;
            };
            match remove_type {
                ObjectType::ObjectTable | ObjectType::ObjectView | ObjectType::ObjectMatview => {
                    self.drop_table(&name);
                }
                ObjectType::ObjectIndex => {
                    self.indexes.remove(&name);
                }
                ObjectType::ObjectSchema => {
                    self.schemas.remove(&name.name);
                    self.tables.retain(|table, _| table.schema != name.name);
                    self.indexes.retain(|index| index.name.schema != name.name);
                }
                _ => {}
            }
        }
    }
}

/// The functions `DROP FUNCTION` or `DROP ROUTINE` names.
pub fn dropped_functions(stmt: &DropStmt) -> Vec<QualifiedName> {
    stmt.objects
        .iter()
        .filter_map(|object| match object.node.as_ref()? {
            NodeEnum::ObjectWithArgs(function) => {
                QualifiedName::from_parts(&ast::strings(&function.objname))
            }
            _ => None,
        })
        .collect()
}

/// `ALTER COLUMN ... SET DEFAULT expr` (`Some`) or `DROP DEFAULT` (`None`).
fn set_default(column: &mut Column, default: Option<&Node>) {
    column.has_default = default.is_some();
    column.calls = default.map(expr::called_functions).unwrap_or_default();
}

/// The key elements of an index, `None` for what is not one.
fn index_elems(stmt: &IndexStmt) -> Vec<Option<&IndexElem>> {
    stmt.index_params
        .iter()
        .map(|param| match param.node.as_ref() {
            Some(NodeEnum::IndexElem(elem)) => Some(elem.as_ref()),
            _ => None,
        })
        .collect()
}

/// Key columns in order, an expression key `None`.
fn key_columns(elems: &[Option<&IndexElem>]) -> Vec<Option<String>> {
    elems
        .iter()
        .map(|elem| elem.filter(|e| !e.name.is_empty()).map(|e| e.name.clone()))
        .collect()
}

/// The catalog's record of the index `stmt` creates, under `name` on `table`.
fn index_of(stmt: &IndexStmt, name: QualifiedName, table: QualifiedName, origin: Origin) -> Index {
    let elems = index_elems(stmt);
    let method = if stmt.access_method.is_empty() {
        "btree".to_owned()
    } else {
        stmt.access_method.clone()
    };
    Index {
        name,
        table,
        key_options: elems
            .iter()
            .map(|elem| elem.map(key_options).unwrap_or_default())
            .collect(),
        columns: key_columns(&elems),
        unique: stmt.unique || stmt.primary,
        primary: stmt.primary,
        constraint: stmt.isconstraint,
        partial: stmt.where_clause.is_some(),
        predicate: deparse_predicate(stmt),
        not_null_predicate: stmt
            .where_clause
            .as_deref()
            .and_then(expr::only_not_null_tests),
        method,
        include: stmt
            .index_including_params
            .iter()
            .filter_map(|param| match param.node.as_ref() {
                Some(NodeEnum::IndexElem(elem)) if !elem.name.is_empty() => Some(elem.name.clone()),
                _ => None,
            })
            .collect(),
        calls: index_calls(&elems, stmt.where_clause.as_deref()),
        created_at: origin,
    }
}

fn add_column(table: &mut Table, column: &ColumnDef, migration: usize) {
    let mut not_null = column.is_not_null;
    let mut has_default = column.raw_default.is_some();
    let mut generated = false;
    let mut calls = column
        .raw_default
        .as_deref()
        .map(expr::called_functions)
        .unwrap_or_default();
    for constraint in &column.constraints {
        let Some(NodeEnum::Constraint(constraint)) = constraint.node.as_ref() else {
            continue;
        };
        match ConstrType::try_from(constraint.contype).unwrap_or(ConstrType::Undefined) {
            ConstrType::ConstrNotnull | ConstrType::ConstrPrimary => not_null = true,
            ConstrType::ConstrIdentity => has_default = true,
            ConstrType::ConstrDefault | ConstrType::ConstrGenerated => {
                has_default = true;
                generated = constraint.contype == ConstrType::ConstrGenerated as i32;
                calls = constraint
                    .raw_expr
                    .as_deref()
                    .map(expr::called_functions)
                    .unwrap_or_default();
            }
            _ => {}
        }
        add_constraint(
            table,
            constraint,
            std::slice::from_ref(&column.colname),
            migration,
        );
    }
    let type_name = column
        .type_name
        .as_ref()
        .map(types::type_name)
        .unwrap_or_default();
    table
        .columns
        .retain(|existing| existing.name != column.colname);
    // PostgreSQL refuses a table of more columns than this, so the catalog holds no more:
    // a statement with more cannot make each column cost more.
    if table.columns.len() >= MAX_COLUMNS {
        return;
    }
    table.columns.push(Column {
        name: column.colname.clone(),
        type_name,
        not_null,
        has_default,
        generated,
        calls,
        added_in: migration,
    });
}

/// PostgreSQL's limit on the columns of a table (`MaxHeapAttributeNumber`).
const MAX_COLUMNS: usize = 1600;

/// Records a table or column constraint; `column` is the column it was written on, if any.
fn add_constraint(
    table: &mut Table,
    constraint: &pg_query::protobuf::Constraint,
    column: &[String],
    migration: usize,
) {
    let Some(mut constraint) = constraint_definition(constraint, column, migration) else {
        return;
    };
    if constraint.name.is_none() {
        constraint.name = Some(constraint_name(table, &constraint));
    }
    if constraint.kind == ConstraintKind::PrimaryKey {
        for column in table
            .columns
            .iter_mut()
            .filter(|c| constraint.columns.contains(&c.name))
        {
            column.not_null = true;
        }
    }
    table.constraints.push(constraint);
}

/// The name PostgreSQL gives a constraint written without one: `<table>_pkey`,
/// `<table>_<columns>_key` / `_fkey` / `_check`, `<table>_excl`, numbered when taken.
fn constraint_name(table: &Table, constraint: &Constraint) -> String {
    let columns = constraint.columns.join("_");
    let base = match constraint.kind {
        ConstraintKind::PrimaryKey => format!("{}_pkey", table.name.name),
        ConstraintKind::Unique => format!("{}_{columns}_key", table.name.name),
        ConstraintKind::ForeignKey { .. } => format!("{}_{columns}_fkey", table.name.name),
        // Named after its column only when its expression names exactly one.
        ConstraintKind::Check if constraint.columns.len() == 1 => {
            format!("{}_{columns}_check", table.name.name)
        }
        ConstraintKind::Check => format!("{}_check", table.name.name),
        ConstraintKind::Exclusion => format!("{}_excl", table.name.name),
    };
    (0..)
        .map(|n| {
            if n == 0 {
                base.clone()
            } else {
                format!("{base}{n}")
            }
        })
        .find(|name| {
            !table
                .constraints
                .iter()
                .any(|c| c.name.as_deref() == Some(name.as_str()))
        })
        .expect("an unused name")
}

/// The catalog's record of a table or column constraint node; `column` is the column it was
/// written on, if any. `None` for constraints the catalog does not keep (NOT NULL, DEFAULT, ...).
pub(super) fn constraint_definition(
    constraint: &pg_query::protobuf::Constraint,
    column: &[String],
    migration: usize,
) -> Option<Constraint> {
    let keys = |nodes: &[Node]| -> Vec<String> {
        if nodes.is_empty() {
            column.to_vec()
        } else {
            ast::strings(nodes).into_iter().map(str::to_owned).collect()
        }
    };
    let (kind, columns) =
        match ConstrType::try_from(constraint.contype).unwrap_or(ConstrType::Undefined) {
            ConstrType::ConstrPrimary => (ConstraintKind::PrimaryKey, keys(&constraint.keys)),
            ConstrType::ConstrUnique => (ConstraintKind::Unique, keys(&constraint.keys)),
            // A table's CHECK is on the columns its expression names.
            ConstrType::ConstrCheck if column.is_empty() => (
                ConstraintKind::Check,
                constraint
                    .raw_expr
                    .as_deref()
                    .map(expr::referenced_columns)
                    .unwrap_or_default(),
            ),
            ConstrType::ConstrCheck => (ConstraintKind::Check, column.to_vec()),
            ConstrType::ConstrExclusion => (ConstraintKind::Exclusion, Vec::new()),
            ConstrType::ConstrForeign => {
                let references = constraint.pktable.as_ref().map(range_var)?;
                let referenced_columns = ast::strings(&constraint.pk_attrs)
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                (
                    ConstraintKind::ForeignKey {
                        references,
                        referenced_columns,
                    },
                    keys(&constraint.fk_attrs),
                )
            }
            _ => return None,
        };
    let name = (!constraint.conname.is_empty()).then(|| constraint.conname.clone());
    let (not_null_columns, only_not_null, calls) = match (&kind, constraint.raw_expr.as_deref()) {
        (ConstraintKind::Check, Some(expr)) => (
            expr::not_null_columns(expr),
            expr::only_not_null_tests(expr).is_some(),
            expr::called_functions(expr),
        ),
        _ => (Vec::new(), false, Vec::new()),
    };
    let index_options = format!(
        "{}{}{}{:?}",
        if constraint.deferrable {
            "DEFERRABLE "
        } else {
            ""
        },
        if constraint.initdeferred {
            "INITIALLY DEFERRED "
        } else {
            ""
        },
        if constraint.nulls_not_distinct {
            "NULLS NOT DISTINCT "
        } else {
            ""
        },
        ast::strings(&constraint.including),
    );
    Some(Constraint {
        name,
        kind,
        columns,
        validated: !constraint.skip_validation,
        calls,
        not_null_columns,
        only_not_null,
        index_options,
        created_in: migration,
    })
}

/// What PostgreSQL does with the PRIMARY KEY and UNIQUE constraints of one `CREATE TABLE`: those
/// whose index would repeat an earlier one's (same columns, same options; the primary key comes
/// first) are not made at all, and a survivor written without a name takes the name of a
/// duplicate written with one (`explicit`: the names written in the statement).
fn merge_repeated_index_constraints(constraints: &mut Vec<Constraint>, explicit: &[&str]) {
    let written = |c: &Constraint| {
        c.name
            .as_deref()
            .is_some_and(|name| explicit.contains(&name))
    };
    let indexed =
        |c: &Constraint| matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique);
    // Positions of the index constraints, the primary key first.
    let mut order: Vec<usize> = (0..constraints.len())
        .filter(|&i| indexed(&constraints[i]))
        .collect();
    order.sort_by_key(|&i| constraints[i].kind != ConstraintKind::PrimaryKey);
    let mut kept: Vec<usize> = Vec::new();
    let mut dropped = Vec::new();
    for at in order {
        let same = kept.iter().copied().find(|&k| {
            constraints[k].columns == constraints[at].columns
                && constraints[k].index_options == constraints[at].index_options
        });
        match same {
            Some(survivor) => {
                if !written(&constraints[survivor]) && written(&constraints[at]) {
                    constraints[survivor].name = constraints[at].name.clone();
                }
                dropped.push(at);
            }
            None => kept.push(at),
        }
    }
    dropped.sort_unstable();
    for at in dropped.into_iter().rev() {
        constraints.remove(at);
    }
}

/// The functions an index's expression keys and predicate call.
fn index_calls(elems: &[Option<&IndexElem>], predicate: Option<&Node>) -> Vec<QualifiedName> {
    let mut calls: Vec<QualifiedName> = Vec::new();
    let expressions = elems
        .iter()
        .flatten()
        .filter_map(|elem| elem.expr.as_deref());
    for expression in expressions.chain(predicate) {
        for function in expr::called_functions(expression) {
            if !calls.contains(&function) {
                calls.push(function);
            }
        }
    }
    calls
}

/// An index key's operator class, collation, order and nulls order, when not the defaults.
fn key_options(elem: &IndexElem) -> String {
    let mut parts = Vec::new();
    if !elem.collation.is_empty() {
        parts.push(format!(
            "COLLATE {}",
            ast::strings(&elem.collation).join(".")
        ));
    }
    if let Some(opclass) = ast::strings(&elem.opclass).last() {
        parts.push((*opclass).to_owned());
    }
    for option in &elem.opclassopts {
        if let Some(NodeEnum::DefElem(option)) = option.node.as_ref() {
            let value = match option.arg.as_deref().and_then(|arg| arg.node.as_ref()) {
                Some(NodeEnum::Integer(value)) => value.ival.to_string(),
                Some(NodeEnum::Float(value)) => value.fval.clone(),
                Some(NodeEnum::String(value)) => value.sval.clone(),
                Some(NodeEnum::Boolean(value)) => value.boolval.to_string(),
                _ => String::new(),
            };
            parts.push(format!("{}={value}", option.defname));
        }
    }
    let descending = elem.ordering == SortByDir::SortbyDesc as i32;
    if descending {
        parts.push("DESC".to_owned());
    }
    let nulls_first = match SortByNulls::try_from(elem.nulls_ordering) {
        Ok(SortByNulls::SortbyNullsFirst) => true,
        Ok(SortByNulls::SortbyNullsLast) => false,
        _ => descending,
    };
    if nulls_first != descending {
        parts.push(
            if nulls_first {
                "NULLS FIRST"
            } else {
                "NULLS LAST"
            }
            .to_owned(),
        );
    }
    parts.join(" ")
}

/// The `WHERE` predicate of a partial index as PostgreSQL's deparser writes it, without source
/// positions or layout (the statement is deparsed with and without it; the difference remains).
fn deparse_predicate(stmt: &IndexStmt) -> Option<String> {
    stmt.where_clause.as_ref()?;
    let deparse = |stmt: IndexStmt| {
        NodeEnum::IndexStmt(Box::new(stmt))
            .deparse(DeparseOptions::default())
            .ok()
    };
    let full = deparse(stmt.clone())?;
    let without = deparse(IndexStmt {
        where_clause: None,
        ..stmt.clone()
    })?;
    full.strip_prefix(without.as_str())?
        .strip_prefix(" WHERE ")
        .map(str::to_owned)
}

/// Tables a `SELECT create_hypertable('t', ...)` (TimescaleDB) turns into hypertables: calls in
/// the select list or in `FROM`, with the table as the first argument or as `relation =>` /
/// `main_table =>`, a string or a `regclass` cast.
fn hypertables(stmt: &SelectStmt) -> Vec<QualifiedName> {
    let from = stmt
        .from_clause
        .iter()
        .filter_map(|item| match item.node.as_ref() {
            Some(NodeEnum::RangeFunction(function)) => Some(function.functions.iter()),
            _ => None,
        });
    let calls = stmt
        .target_list
        .iter()
        .filter_map(|target| match target.node.as_ref() {
            Some(NodeEnum::ResTarget(target)) => target.val.as_deref(),
            _ => None,
        })
        .chain(from.flatten().flat_map(|pair| match pair.node.as_ref() {
            // ROWS FROM items are `List(function, column definitions)`.
            Some(NodeEnum::List(list)) => list.items.first(),
            _ => Some(pair),
        }));
    let mut found = Vec::new();
    for call in calls {
        let Some(NodeEnum::FuncCall(call)) = call.node.as_ref() else {
            continue;
        };
        let name = ast::strings(&call.funcname);
        if !matches!(
            name.last(),
            Some(&"create_hypertable" | &"create_distributed_hypertable")
        ) {
            continue;
        }
        let relation = call.args.iter().find_map(|arg| match arg.node.as_ref() {
            Some(NodeEnum::NamedArgExpr(named)) => (named.name == "relation"
                || named.name == "main_table")
                .then_some(named.arg.as_deref())
                .flatten(),
            _ => None,
        });
        let relation = relation.or_else(|| {
            call.args
                .first()
                .filter(|arg| !matches!(arg.node, Some(NodeEnum::NamedArgExpr(_))))
        });
        if let Some(table) = relation.and_then(string_literal).and_then(regclass) {
            found.push(table);
        }
    }
    found
}

/// The value of a string literal, possibly cast (`'t'::regclass`).
fn string_literal(node: &Node) -> Option<&str> {
    match node.node.as_ref()? {
        NodeEnum::AConst(constant) => match constant.val.as_ref()? {
            a_const::Val::Sval(value) => Some(&value.sval),
            _ => None,
        },
        NodeEnum::TypeCast(cast) => string_literal(cast.arg.as_deref()?),
        _ => None,
    }
}

/// A table named by `regclass` text: `t`, `s.t`, `"My Table"` (unquoted parts fold to lower case).
fn regclass(text: &str) -> Option<QualifiedName> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    loop {
        let (part, after) = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices().peekable();
            let mut end = None;
            while let Some((at, c)) = chars.next() {
                if c == '"' {
                    if chars.peek().is_some_and(|&(_, next)| next == '"') {
                        chars.next();
                        value.push('"');
                        continue;
                    }
                    end = Some(at + 1);
                    break;
                }
                value.push(c);
            }
            (value, &quoted[end?..])
        } else {
            let len = rest.find('.').unwrap_or(rest.len());
            (rest[..len].trim().to_lowercase(), &rest[len..])
        };
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match after.strip_prefix('.') {
            Some(next) => rest = next,
            None if after.trim().is_empty() => break,
            None => return None,
        }
    }
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    QualifiedName::from_parts(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalog after `sql`, each statement run by `migration`.
    fn replay(catalog: &mut Catalog, sql: &str, migration: usize) {
        let tree = pg_query::parse(sql, 0).unwrap();
        for (statement, raw) in tree.protobuf.stmts.into_iter().enumerate() {
            let origin = Origin {
                migration,
                statement,
            };
            catalog.apply(&raw.stmt.unwrap().node.unwrap(), origin);
        }
    }

    fn staging_deals(catalog: &Catalog) -> &Table {
        catalog
            .table(&QualifiedName::new(None, "staging_deals"))
            .unwrap()
    }

    #[test]
    fn drop_function_cascade_takes_what_calls_it() {
        let mut catalog = Catalog::default();
        replay(
            &mut catalog,
            "CREATE TABLE docs (
                id int PRIMARY KEY,
                body text,
                code text NOT NULL DEFAULT public.new_code(),
                other text DEFAULT lower('X'),
                search tsvector GENERATED ALWAYS AS (to_tsv(body)) STORED,
                CONSTRAINT docs_body_check CHECK (valid_body(body))
            );
            CREATE INDEX docs_search_idx ON docs (search);
            CREATE INDEX docs_body_idx ON docs (to_tsv(body));
            CREATE INDEX docs_id_idx ON docs (id) WHERE valid_body(body);
            ALTER TABLE docs ALTER COLUMN other SET DEFAULT new_code();",
            0,
        );
        let docs = QualifiedName::new(None, "docs");
        let column = |catalog: &Catalog, name: &str| catalog.column_of(&docs, name).cloned();
        assert!(column(&catalog, "search").unwrap().generated);
        // Without CASCADE PostgreSQL refuses: nothing changes.
        replay(&mut catalog, "DROP FUNCTION to_tsv(text)", 1);
        assert!(column(&catalog, "search").is_some());
        replay(&mut catalog, "DROP FUNCTION public.to_tsv(text) CASCADE", 1);
        assert!(column(&catalog, "search").is_none());
        let indexes: Vec<String> = catalog
            .indexes_on(&docs)
            .map(|index| index.name.name.clone())
            .collect();
        assert_eq!(indexes, ["docs_id_idx", "docs_pkey"]);
        replay(&mut catalog, "DROP FUNCTION new_code CASCADE", 2);
        for name in ["code", "other"] {
            let kept = column(&catalog, name).unwrap();
            assert!(!kept.has_default && kept.calls.is_empty(), "{name}");
        }
        assert!(column(&catalog, "code").unwrap().not_null);
        replay(
            &mut catalog,
            "DROP ROUTINE other_schema.valid_body CASCADE",
            3,
        );
        assert!(
            catalog
                .table(&docs)
                .unwrap()
                .has_constraint("docs_body_check")
        );
        replay(&mut catalog, "DROP FUNCTION valid_body(text) CASCADE", 3);
        assert!(
            !catalog
                .table(&docs)
                .unwrap()
                .has_constraint("docs_body_check")
        );
        assert!(
            catalog
                .indexes_on(&docs)
                .all(|index| index.name.name != "docs_id_idx")
        );
    }

    #[test]
    fn remembers_validated_not_null_checks() {
        let mut catalog = Catalog::default();
        replay(
            &mut catalog,
            "CREATE TABLE staging_deals (id int, amount numeric, currency text, round text);",
            0,
        );
        replay(
            &mut catalog,
            "ALTER TABLE staging_deals ADD CONSTRAINT amount_nn CHECK (amount IS NOT NULL) NOT VALID;
             ALTER TABLE staging_deals ADD CONSTRAINT both_nn
                 CHECK (currency IS NOT NULL AND round IS NOT NULL);
             ALTER TABLE staging_deals ADD CONSTRAINT id_positive CHECK (id > 0);",
            1,
        );
        let table = staging_deals(&catalog);
        assert!(
            !table.proves_not_null("amount"),
            "NOT VALID proves nothing yet"
        );
        assert!(table.proves_not_null("currency"));
        assert!(table.proves_not_null("round"));
        assert!(!table.proves_not_null("id"));

        replay(
            &mut catalog,
            "ALTER TABLE staging_deals VALIDATE CONSTRAINT amount_nn;
             ALTER TABLE staging_deals RENAME COLUMN currency TO currency_code;
             ALTER TABLE staging_deals DROP COLUMN round;",
            2,
        );
        let table = staging_deals(&catalog);
        assert!(table.proves_not_null("amount"));
        assert!(!table.proves_not_null("currency"));
        assert!(
            !table.proves_not_null("currency_code"),
            "dropping `round` drops the CHECK that named it"
        );

        replay(
            &mut catalog,
            "ALTER TABLE staging_deals DROP CONSTRAINT amount_nn;",
            3,
        );
        assert!(!staging_deals(&catalog).proves_not_null("amount"));
    }

    #[test]
    fn creates_the_tables_of_create_schema() {
        let mut catalog = Catalog::default();
        replay(
            &mut catalog,
            "CREATE SCHEMA staging CREATE TABLE deals (id int) CREATE TABLE staging.notes (id int);",
            0,
        );
        assert!(
            catalog
                .table(&QualifiedName::new(Some("staging"), "deals"))
                .is_some()
        );
        assert!(
            catalog
                .table(&QualifiedName::new(Some("staging"), "notes"))
                .is_some()
        );
    }

    #[test]
    fn follows_renamed_columns_in_not_null_checks() {
        let mut catalog = Catalog::default();
        replay(
            &mut catalog,
            "CREATE TABLE staging_deals (amount numeric CHECK (amount IS NOT NULL));
             ALTER TABLE staging_deals RENAME COLUMN amount TO amount_usd;",
            0,
        );
        let table = staging_deals(&catalog);
        assert!(table.proves_not_null("amount_usd"));
        assert!(!table.proves_not_null("amount"));
    }
}
