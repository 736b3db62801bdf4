SELECT ';' AS a; -- x; y
\set v 1
SELECT $f$ ; $f$, E'\';', "q""uote";
CREATE TABEL t (id int);
/* nested /* comment */ */ ALTER TABLE cms_café ADD COLUMN "ä" varchar(20)[] NOT NULL DEFAULT 'x';
