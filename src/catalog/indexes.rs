//! The catalog's indexes, found by name or by table: rules ask "which indexes does this table
//! have" for every statement, which must not cost a walk over every index of the schema.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Index, Origin, QualifiedName};

/// An index in its table's set: its first key column, then its name.
type TableEntry = (Option<String>, QualifiedName);

fn entry(index: &Index) -> TableEntry {
    (index.columns.first().cloned().flatten(), index.name.clone())
}

#[derive(Debug, Clone, Default)]
pub struct Indexes {
    by_name: BTreeMap<QualifiedName, Index>,
    /// Names by table, ordered by first key column (`None`: an expression) and name: an index
    /// that covers another, or serves a foreign key, leads with one of its columns, so a table
    /// with many indexes is not walked whole to find it.
    by_table: HashMap<QualifiedName, BTreeSet<TableEntry>>,
    /// Names by the statement that created them, for "what did this migration add".
    by_origin: BTreeSet<(Origin, QualifiedName)>,
}

impl Indexes {
    pub fn get(&self, name: &QualifiedName) -> Option<&Index> {
        self.by_name.get(name)
    }

    pub fn contains(&self, name: &QualifiedName) -> bool {
        self.by_name.contains_key(name)
    }

    /// Every index, in name order.
    pub fn values(&self) -> impl Iterator<Item = &Index> {
        self.by_name.values()
    }

    /// The indexes created by migration `migration`, in statement order.
    pub fn created_by(&self, migration: usize) -> impl Iterator<Item = &Index> {
        let first = Origin {
            migration,
            statement: 0,
        };
        self.by_origin
            .range((first, QualifiedName::default())..)
            .take_while(move |(origin, _)| origin.migration == migration)
            .filter_map(|(_, name)| self.by_name.get(name))
    }

    /// The indexes of `table`, by first key column and then name.
    pub fn on_table<'a>(&'a self, table: &QualifiedName) -> impl Iterator<Item = &'a Index> + 'a {
        self.by_table
            .get(table)
            .into_iter()
            .flatten()
            .filter_map(|(_, name)| self.by_name.get(name))
    }

    /// The indexes of `table` whose first key is column `column`, in name order.
    pub fn leading_with<'a>(
        &'a self,
        table: &QualifiedName,
        column: &str,
    ) -> impl Iterator<Item = &'a Index> + use<'a> {
        let from = (Some(column.to_owned()), QualifiedName::default());
        let column = from.0.clone();
        self.by_table
            .get(table)
            .into_iter()
            .flat_map(move |entries| entries.range(from.clone()..))
            .take_while(move |(lead, _)| *lead == column)
            .filter_map(|(_, name)| self.by_name.get(name))
    }

    /// Adds `index`, replacing one of the same name.
    pub fn insert(&mut self, index: Index) {
        self.remove(&index.name);
        self.by_table
            .entry(index.table.clone())
            .or_default()
            .insert(entry(&index));
        self.by_origin
            .insert((index.created_at, index.name.clone()));
        self.by_name.insert(index.name.clone(), index);
    }

    pub fn remove(&mut self, name: &QualifiedName) -> Option<Index> {
        let index = self.by_name.remove(name)?;
        if let Some(entries) = self.by_table.get_mut(&index.table) {
            entries.remove(&entry(&index));
        }
        self.by_origin.remove(&(index.created_at, name.clone()));
        Some(index)
    }

    /// Drops every index of `table`.
    pub fn remove_table(&mut self, table: &QualifiedName) {
        for (_, name) in self.by_table.remove(table).unwrap_or_default() {
            if let Some(index) = self.by_name.remove(&name) {
                self.by_origin.remove(&(index.created_at, name));
            }
        }
    }

    /// Keeps the indexes of `table` for which `keep` says so.
    pub fn retain_on_table(&mut self, table: &QualifiedName, mut keep: impl FnMut(&Index) -> bool) {
        let names: Vec<QualifiedName> = self
            .by_table
            .get(table)
            .into_iter()
            .flatten()
            .map(|(_, name)| name.clone())
            .collect();
        for name in names {
            if self.by_name.get(&name).is_some_and(|index| !keep(index)) {
                self.remove(&name);
            }
        }
    }

    /// Keeps the indexes for which `keep` says so, looking at every index.
    pub fn retain(&mut self, mut keep: impl FnMut(&Index) -> bool) {
        let dropped: Vec<QualifiedName> = self
            .by_name
            .values()
            .filter(|index| !keep(index))
            .map(|index| index.name.clone())
            .collect();
        for name in dropped {
            self.remove(&name);
        }
    }

    /// Changes the indexes of `table` in place (not their names or table).
    pub fn update_on_table(&mut self, table: &QualifiedName, mut update: impl FnMut(&mut Index)) {
        let Some(entries) = self.by_table.get_mut(table) else {
            return;
        };
        // A renamed column may be an index's first key: the entries are made anew.
        *entries = std::mem::take(entries)
            .into_iter()
            .map(|(lead, name)| match self.by_name.get_mut(&name) {
                Some(index) => {
                    update(index);
                    entry(index)
                }
                None => (lead, name),
            })
            .collect();
    }

    /// The indexes of `old` now belong to `new`.
    pub fn rename_table(&mut self, old: &QualifiedName, new: &QualifiedName) {
        let Some(names) = self.by_table.remove(old) else {
            return;
        };
        for (_, name) in &names {
            if let Some(index) = self.by_name.get_mut(name) {
                index.table = new.clone();
            }
        }
        self.by_table.entry(new.clone()).or_default().extend(names);
    }
}
