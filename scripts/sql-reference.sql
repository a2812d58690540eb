-- Writes docs/SQL.md from the catalog of a database where cartwatch was just created; run by
-- scripts/sql-reference.sh (which sets the variables below), not by hand.
--
--   :mode       reference (the Markdown) or examples (one line per example: object, base64 code)
-- and reads, from the repository root (the current directory):
--   sql/install/*.sql       the install script's parts in name order, as the Makefile joins them:
--                           the "-- section:" headings and their notes, and where each object is
--                           created
--   docs/sql-examples.sql   the "-- example: cartwatch.<object>" blocks
--
-- Everything the reference says about an object comes from the catalog (pg_proc, pg_attribute,
-- pg_description, pg_constraint, pg_index, pg_trigger), so it cannot drift from what
-- CREATE EXTENSION installs; only the grouping and the section notes come from the source.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET search_path = pg_catalog, pg_temp;
\set examples `cat docs/sql-examples.sql`

-- The examples file, one row per block; the text between two headings, trimmed.
CREATE TEMP VIEW example AS
WITH line AS (
    SELECT l.n, l.text,
           substring(l.text FROM '^-- example: ([a-z0-9_.]+)\s*$') AS heading
      FROM regexp_split_to_table(:'examples', E'\n') WITH ORDINALITY AS l(text, n)
), numbered AS (
    SELECT line.*, count(heading) OVER (ORDER BY n) AS block FROM line
)
SELECT max(heading) AS object,
       btrim(string_agg(text, E'\n' ORDER BY n) FILTER (WHERE heading IS NULL), E'\n ') AS code,
       min(n) AS position
  FROM numbered
 WHERE block > 0
 GROUP BY block;

\if :{?mode}
\else
\set mode reference
\endif
SELECT :'mode' = 'examples' AS list_examples \gset
\if :list_examples
SELECT object || E'\t' || translate(encode(convert_to(code, 'UTF8'), 'base64'), E'\n', '')
  FROM example ORDER BY position;
\quit
\endif

-- GitHub's anchor of a heading: lower case, punctuation dropped, blanks to dashes.
CREATE FUNCTION pg_temp.anchor(heading text) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN replace(regexp_replace(lower(heading), '[^a-z0-9 _-]', '', 'g'), ' ', '-');

-- The install script's lines; sections and where each object is created.
\set install `LC_ALL=C; cat sql/install/*.sql`
CREATE TEMP TABLE source_line AS
SELECT l.n, l.text FROM regexp_split_to_table(:'install', E'\n') WITH ORDINALITY AS l(text, n);

CREATE TEMP VIEW section AS
WITH heading AS (
    SELECT n, substring(text FROM '^-- section: (.*)$') AS title
      FROM source_line WHERE text ~ '^-- section: '
)
-- A title may come back in a later part (a second "-- section: customer summary"): one section.
SELECT title, min(n) AS position, array_agg(n ORDER BY n) AS heading_lines
  FROM heading GROUP BY title;

-- The comment block right under a section heading: its note, in Markdown. Indented lines
-- (state diagrams, formulas) stay preformatted.
CREATE TEMP VIEW section_note AS
WITH RECURSIVE block(title, n) AS (
    SELECT s.title, h.n + 1 FROM section AS s, unnest(s.heading_lines) AS h(n)
    UNION ALL
    SELECT b.title, b.n + 1 FROM block AS b
      JOIN source_line AS l ON l.n = b.n WHERE l.text ~ '^--'
), note_line AS (
    SELECT b.title, l.n, regexp_replace(l.text, '^-- ?', '') AS text,
           regexp_replace(l.text, '^-- ?', '') ~ '^  ' AS preformatted
      FROM block AS b JOIN source_line AS l ON l.n = b.n
     WHERE l.text ~ '^--'
), framed AS (
    SELECT title, n, text, preformatted,
           preformatted IS DISTINCT FROM lag(preformatted) OVER w AS starts,
           lead(preformatted) OVER w IS DISTINCT FROM preformatted AS ends
      FROM note_line WINDOW w AS (PARTITION BY title ORDER BY n)
)
SELECT title,
       btrim(string_agg(CASE WHEN preformatted AND starts THEN E'\n```text\n' ELSE '' END
                        || CASE WHEN preformatted THEN text ELSE btrim(text) END
                        || CASE WHEN preformatted AND ends THEN E'\n```\n' ELSE '' END,
                        E'\n' ORDER BY n), E'\n') AS note
  FROM framed GROUP BY title;

CREATE TEMP VIEW created AS
SELECT CASE m[2] WHEN 'AGGREGATE' THEN 'function' ELSE lower(m[2]) END AS kind, m[3] AS name,
       min(l.n) AS position,
       (SELECT s.title FROM section AS s, unnest(s.heading_lines) AS h(n)
         WHERE h.n < min(l.n) ORDER BY h.n DESC LIMIT 1) AS section
  FROM source_line AS l,
       regexp_match(l.text, '^CREATE (OR REPLACE )?(TABLE|VIEW|FUNCTION|AGGREGATE|DOMAIN) cartwatch\.([a-z0-9_]+)') AS m
 GROUP BY 1, 2;

-- The extension's members that the reference documents.
CREATE TEMP VIEW member AS
SELECT CASE c.relkind WHEN 'r' THEN 'table' ELSE 'view' END AS kind, c.relname::text AS name,
       c.oid, 'pg_class'::regclass AS catalog
  FROM pg_depend AS d JOIN pg_class AS c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND c.relkind IN ('r', 'v')
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cartwatch')
UNION ALL
SELECT 'function', p.proname::text, p.oid, 'pg_proc'::regclass
  FROM pg_depend AS d JOIN pg_proc AS p ON p.oid = d.objid
 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cartwatch')
UNION ALL
SELECT 'domain', t.typname::text, t.oid, 'pg_type'::regclass
  FROM pg_depend AS d JOIN pg_type AS t ON t.oid = d.objid
 WHERE d.classid = 'pg_type'::regclass AND d.deptype = 'e' AND t.typtype = 'd'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cartwatch');

CREATE TEMP VIEW placed AS
SELECT m.*, 'cartwatch.' || m.name AS qualified,
       coalesce(c.section, 'other') AS section,
       coalesce(c.position, 2147483647) AS position,
       obj_description(m.oid, m.catalog::text) AS description,
       pg_temp.anchor('cartwatch.' || m.name) AS anchor
  FROM member AS m
  LEFT JOIN created AS c ON c.name = m.name AND c.kind = m.kind;

-- Markdown table cells: no line breaks, no bare pipes.
CREATE FUNCTION pg_temp.cell(value text) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN replace(replace(coalesce(value, ''), E'\n', ' '), '|', '\|');

-- Columns of a table or view.
CREATE FUNCTION pg_temp.columns_md(rel oid, with_defaults boolean) RETURNS text
LANGUAGE sql STABLE
RETURN (
    SELECT CASE WHEN with_defaults
                THEN E'| column | type | null | default | description |\n| --- | --- | --- | --- | --- |\n'
                ELSE E'| column | type | description |\n| --- | --- | --- |\n' END
           || string_agg(
                  '| `' || a.attname || '` | ' || pg_temp.cell(format_type(a.atttypid, a.atttypmod))
                  || CASE WHEN with_defaults
                          THEN ' | ' || CASE WHEN a.attnotnull THEN 'not null' ELSE '' END
                               || ' | ' || pg_temp.cell(CASE a.attidentity
                                      WHEN 'd' THEN 'identity (by default)'
                                      WHEN 'a' THEN 'identity (always)'
                                      ELSE '`' || pg_get_expr(ad.adbin, ad.adrelid) || '`' END)
                          ELSE '' END
                  || ' | ' || pg_temp.cell(col_description(a.attrelid, a.attnum)) || ' |',
                  E'\n' ORDER BY a.attnum)
      FROM pg_attribute AS a
      LEFT JOIN pg_attrdef AS ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped);

-- A table's constraints, indexes and triggers, and whether pg_dump keeps its rows.
CREATE FUNCTION pg_temp.table_details_md(rel oid) RETURNS text
LANGUAGE sql STABLE
RETURN concat_ws(E'\n',
    (SELECT E'\nConstraints:\n\n' || string_agg('- `' || pg_get_constraintdef(c.oid) || '`', E'\n'
                                                ORDER BY c.contype DESC, c.conname)
       FROM pg_constraint AS c WHERE c.conrelid = rel),
    (SELECT E'\nIndexes:\n\n' || string_agg('- `' || regexp_replace(pg_get_indexdef(i.indexrelid),
                                                 '^CREATE (UNIQUE )?INDEX (\S+) ON \S+ ', '\1\2 ')
                                            || '`', E'\n' ORDER BY i.indexrelid::regclass::text)
       FROM pg_index AS i WHERE i.indrelid = rel AND NOT i.indisprimary),
    (SELECT E'\nTriggers:\n\n' || string_agg('- `' || t.tgname || '`: '
                                             || regexp_replace(pg_get_triggerdef(t.oid),
                                                  '^CREATE (CONSTRAINT )?TRIGGER \S+ (.*) ON \S+ (.*)$', '\2, \3'),
                                             E'\n' ORDER BY t.tgname)
       FROM pg_trigger AS t WHERE t.tgrelid = rel AND NOT t.tgisinternal),
    E'\n' || CASE WHEN rel = ANY (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'cartwatch')
                  THEN 'pg_dump keeps its rows (an extension configuration table).'
                  ELSE 'pg_dump does not keep its rows: CREATE EXTENSION installs or rebuilds them.' END);

-- A function's signature, one argument per line when it is long.
CREATE FUNCTION pg_temp.signature_md(fn oid) RETURNS text
LANGUAGE sql STABLE
RETURN (
    WITH arg AS (
        SELECT a.n,
               coalesce(p.proargnames[a.n] || ' ', '') || format_type(a.type, NULL)
               || coalesce(' DEFAULT ' || pg_get_function_arg_default(fn, a.n::int), '') AS text
          FROM pg_proc AS p,
               unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS a(type, n)
         WHERE p.oid = fn AND coalesce(p.proargmodes[a.n], 'i') IN ('i', 'b', 'v')
    ), out_column AS (
        SELECT a.n, p.proargnames[a.n] || ' ' || format_type(a.type, NULL) AS text
          FROM pg_proc AS p, unnest(p.proallargtypes) WITH ORDINALITY AS a(type, n)
         WHERE p.oid = fn AND p.proargmodes[a.n] = 't'
    ), parts AS (
        SELECT (SELECT string_agg(text, ', ' ORDER BY n) FROM arg) AS args,
               (SELECT string_agg(text, E',\n    ' ORDER BY n) FROM out_column) AS table_columns
    )
    SELECT 'cartwatch.' || p.proname
           || CASE WHEN length(coalesce(parts.args, '')) <= 70 THEN '(' || coalesce(parts.args, '') || ')'
                   ELSE E'(\n    ' || (SELECT string_agg(text, E',\n    ' ORDER BY n) FROM arg) || E'\n)' END
           || CASE WHEN parts.table_columns IS NOT NULL
                   THEN E'\nRETURNS TABLE (\n    ' || parts.table_columns || E'\n)'
                   ELSE E'\nRETURNS ' || CASE WHEN p.proretset THEN 'SETOF ' ELSE '' END
                        || format_type(p.prorettype, NULL) END
      FROM pg_proc AS p, parts WHERE p.oid = fn);

-- Language, volatility, security and who may call it.
CREATE FUNCTION pg_temp.function_properties_md(fn oid) RETURNS text
LANGUAGE sql STABLE
RETURN (
    SELECT concat_ws(', ',
               CASE WHEN p.prokind = 'a' THEN 'aggregate'
                    WHEN l.lanname = 'c' THEN 'C++ (language C)' ELSE l.lanname END,
               CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
               CASE WHEN p.proisstrict THEN 'strict' END,
               CASE WHEN p.proparallel = 's' THEN 'parallel safe' END,
               CASE WHEN p.prosecdef THEN '**security definer**' END,
               CASE WHEN 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
                    THEN 'search_path pinned'
                    -- A C++ trigger without a SET clause runs its queries in an SPI session
                    -- that looks names up in pg_catalog alone.
                    WHEN l.lanname = 'c' AND p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype
                    THEN 'search_path: pg_catalog alone, set by its C++ SPI session'
                    WHEN l.lanname = 'c' OR p.prokind = 'a' THEN 'runs no SQL (no pinned search_path)'
                    WHEN l.lanname = 'plpgsql'
                    THEN 'no pinned search_path: names every object and operator with its schema'
                    ELSE 'inlined helper (no pinned search_path)' END,
               CASE WHEN p.proacl IS NULL OR EXISTS (
                             SELECT FROM aclexplode(p.proacl) AS x
                              WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')
                    THEN 'executable by PUBLIC'
                    ELSE 'EXECUTE revoked from PUBLIC (owner, superusers and granted roles only)' END)
      FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang WHERE p.oid = fn);

CREATE FUNCTION pg_temp.fired_by_md(fn oid) RETURNS text
LANGUAGE sql STABLE
RETURN (
    SELECT E'\n\nFired by: ' || string_agg('`' || t.tgname || '` on `' || t.tgrelid::regclass::text || '`',
                                          ', ' ORDER BY t.tgrelid::regclass::text, t.tgname) || '.'
      FROM pg_trigger AS t WHERE t.tgfoid = fn AND NOT t.tgisinternal);

CREATE TEMP VIEW entry AS
SELECT p.*,
       '### ' || p.qualified || E'\n\n'
       || CASE p.kind
          WHEN 'function' THEN E'```sql\n' || pg_temp.signature_md(p.oid) || E'\n```\n\n'
                               || coalesce(p.description, '') || E'\n\n'
                               || pg_temp.function_properties_md(p.oid) || '.'
                               || coalesce(pg_temp.fired_by_md(p.oid), '')
          WHEN 'table' THEN 'Table. ' || coalesce(p.description, '') || E'\n\n'
                            || pg_temp.columns_md(p.oid, true) || E'\n'
                            || pg_temp.table_details_md(p.oid)
          WHEN 'view' THEN 'View. ' || coalesce(p.description, '') || E'\n\n'
                           || pg_temp.columns_md(p.oid, false)
          ELSE 'Domain over `' || format_type(t.typbasetype, t.typtypmod) || '`. '
               || coalesce(p.description, '') || E'\n\n'
               || (SELECT string_agg('- `' || pg_get_constraintdef(c.oid) || '`', E'\n')
                     FROM pg_constraint AS c WHERE c.contypid = p.oid)
          END
       || coalesce(E'\n\nExample:\n\n```sql\n' || e.code || E'\n```', '') AS markdown
  FROM placed AS p
  LEFT JOIN pg_type AS t ON p.kind = 'domain' AND t.oid = p.oid
  LEFT JOIN example AS e ON e.object = p.qualified;

CREATE TEMP VIEW section_order AS
SELECT p.section, min(p.position) AS position FROM placed AS p GROUP BY p.section;

CREATE TEMP VIEW contents AS
SELECT string_agg('- [' || s.section || '](#' || pg_temp.anchor(s.section) || '): '
                  || (SELECT string_agg('[' || p.name || '](#' || p.anchor || ')', ', ' ORDER BY p.position, p.name)
                        FROM placed AS p WHERE p.section = s.section),
                  E'\n' ORDER BY s.position) AS markdown
  FROM section_order AS s;

CREATE TEMP VIEW settings_md AS
SELECT E'## Settings\n\n'
       || 'The knobs read with `cartwatch.setting(name)` and changed with `cartwatch.set_setting(name, value)`, '
       || E'which checks the type and range.\n\n'
       || E'| setting | type | default | range or values | description |\n| --- | --- | --- | --- | --- |\n'
       || string_agg('| `' || s.name || '` | ' || s.type || ' | `' || s.default_value || '` | '
                     || pg_temp.cell(CASE WHEN s.allowed_values IS NOT NULL
                                          THEN array_to_string(s.allowed_values, ', ')
                                          WHEN s.max_value IS NULL AND s.min_value IS NOT NULL
                                          THEN 'at least ' || s.min_value
                                          WHEN s.min_value IS NULL AND s.max_value IS NOT NULL
                                          THEN 'at most ' || s.max_value
                                          WHEN s.min_value IS NOT NULL
                                          THEN s.min_value || ' to ' || s.max_value
                                          ELSE '' END)
                     || ' | ' || pg_temp.cell(s.description) || ' |', E'\n' ORDER BY s.name) AS markdown
  FROM cartwatch.settings AS s;

SELECT concat_ws(E'\n\n',
    '# cartwatch SQL reference',
    'Every table, view and function in the schema `cartwatch`, grouped as the install script '
    || '(`sql/install/*.sql`) groups them, with the settings at the end. Generated by '
    || '`scripts/sql-reference.sh` from the catalog of a freshly created extension, with the examples '
    || 'of `docs/sql-examples.sql`: do not edit this file; change the COMMENTs in `sql/install/` or the '
    || 'examples, then run `scripts/sql-reference.sh`. `tests/integration/sql_reference.sh` fails when '
    || 'this file is stale, when an object has no example, and when an example fails against '
    || 'the demo shop (`scripts/demo-shop.sql`).',
    'Functions marked "EXECUTE revoked from PUBLIC" are for the extension''s owner, the daemon '
    || '(`cartwatch.grant_daemon()`) or roles a DBA grants them to; the README''s security section '
    || 'explains the roles. Types are printed as PostgreSQL names them (`timestamp with time zone` '
    || 'is `timestamptz`).',
    (SELECT markdown FROM contents),
    (SELECT string_agg(
         '## ' || s.section
         || coalesce(E'\n\n' || nullif(n.note, ''), '')
         || E'\n\n' || (SELECT string_agg(e.markdown, E'\n\n' ORDER BY e.position, e.name)
                          FROM entry AS e WHERE e.section = s.section),
         E'\n\n' ORDER BY s.position)
       FROM section_order AS s LEFT JOIN section_note AS n ON n.title = s.section),
    (SELECT markdown FROM settings_md));
