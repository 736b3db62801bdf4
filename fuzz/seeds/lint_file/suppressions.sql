-- chronos-lint: ignore unowned-table -- this table used to be called users
CREATE TABLE cms_users (id uuid PRIMARY KEY);
-- chronos-lint: ignore no-such-rule -- typo in the id
CREATE TABLE cms_roles (id uuid PRIMARY KEY);
