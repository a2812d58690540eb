-- The install script's promises: every object documented, every function's search_path
-- pinned, every user-data table and its sequence kept by pg_dump.
\ir tests/regress/setup.psql

-- Objects of the extension without a COMMENT (expected: none).
SELECT pg_describe_object(d.classid, d.objid, 0) AS undocumented
  FROM pg_depend AS d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cartwatch')
   AND d.deptype = 'e'
   AND d.classid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
   AND obj_description(d.objid, d.classid::regclass::text) IS NULL
   AND NOT EXISTS (SELECT 1 FROM pg_class AS c WHERE d.classid = 'pg_class'::regclass
                      AND c.oid = d.objid AND c.relkind IN ('i', 'S'))
   AND NOT EXISTS (SELECT 1 FROM pg_type AS t WHERE d.classid = 'pg_type'::regclass
                      AND t.oid = d.objid AND (t.typrelid <> 0 OR t.typelem <> 0))
 ORDER BY 1;

-- Functions without a pinned search_path (expected: the per-row helpers that run no SQL, the
-- summary trigger, abandon_after() and open_carts_abandoned(), whose C++ SPI sessions look
-- names up in pg_catalog alone, settings_changed(), which runs no SQL, and setting(), whose one query names every
-- object and operator with its schema).
SELECT p.oid::regprocedure AS unpinned
  FROM pg_proc AS p
 WHERE p.pronamespace = 'cartwatch'::regnamespace
   AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
 ORDER BY p.oid::regprocedure::text;

-- Tables and sequences pg_dump keeps.
SELECT config::regclass AS dumped
  FROM pg_extension, unnest(extconfig) AS config
 WHERE extname = 'cartwatch'
 ORDER BY config::regclass::text;
