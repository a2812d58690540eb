-- section: settings
--
-- Every knob is a row of setting_definitions (installed by the extension, not dumped); a
-- changed value is a row of setting_values (user data, dumped). Keeping the two apart means a
-- restore never collides with the defaults CREATE EXTENSION installs, and a later version can
-- change a default without overwriting what a shop chose.

CREATE TABLE cartwatch.setting_definitions (
    name           text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    type           text NOT NULL CHECK (type IN ('interval', 'boolean', 'integer', 'numeric', 'enum')),
    default_value  text NOT NULL,
    min_value      text,
    max_value      text,
    allowed_values text[],
    description    text NOT NULL
);
COMMENT ON TABLE cartwatch.setting_definitions IS
    'The knobs cartwatch knows, with type, default and range. Read cartwatch.settings instead.';

CREATE TABLE cartwatch.setting_values (
    name       text PRIMARY KEY REFERENCES cartwatch.setting_definitions,
    value      text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL DEFAULT current_user
);
COMMENT ON TABLE cartwatch.setting_values IS
    'Values changed with cartwatch.set_setting(); a knob without a row has its default.';
SELECT pg_catalog.pg_extension_config_dump('cartwatch.setting_values', '');

CREATE VIEW cartwatch.settings AS
SELECT d.name,
       coalesce(v.value, d.default_value) AS value,
       d.type,
       d.description,
       d.default_value,
       v.name IS NOT NULL AS changed,
       d.min_value,
       d.max_value,
       d.allowed_values,
       v.changed_at,
       v.changed_by
  FROM cartwatch.setting_definitions AS d
  LEFT JOIN cartwatch.setting_values AS v ON v.name OPERATOR(pg_catalog.=) d.name;
COMMENT ON VIEW cartwatch.settings IS
    'One row per knob: current value, type, description, default and allowed range.';

INSERT INTO cartwatch.setting_definitions
       (name, type, default_value, min_value, max_value, allowed_values, description)
VALUES ('abandon_after', 'interval', '2 hours', '1 minute', '90 days', NULL,
        'A cart with items and no order becomes abandoned after this much idle time.');

-- No SET search_path, deliberately: the claim, the scheduler and the attribution trigger on
-- every order call this, and a SET clause costs each call a GUC save, set and restore (order
-- inserts ran ~5 % faster without it, docs/BENCHMARKS.md). Its body names every object with
-- its schema, the operator included, so no search_path changes what it reads.
CREATE FUNCTION cartwatch.setting(name text) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    result pg_catalog.text;
BEGIN
    SELECT coalesce(v.value, d.default_value) INTO result
      FROM cartwatch.setting_definitions AS d
      LEFT JOIN cartwatch.setting_values AS v ON v.name OPERATOR(pg_catalog.=) d.name
     WHERE d.name OPERATOR(pg_catalog.=) setting.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown cartwatch setting "%"', name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM cartwatch.settings lists the settings.';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION cartwatch.setting(text) IS
    'The current value of a setting, as text; cast it to the setting''s type.';

-- Checks value against the knob's type and range and returns it in canonical form.
CREATE FUNCTION cartwatch.validate_setting(name text, value text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    def cartwatch.setting_definitions;
    canonical text;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'setting name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO def FROM cartwatch.setting_definitions AS d WHERE d.name = validate_setting.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown cartwatch setting "%"', name
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM cartwatch.settings lists the settings.';
    END IF;
    IF value IS NULL THEN
        RAISE EXCEPTION 'value for setting "%" must not be NULL', name
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Use cartwatch.reset_setting() to go back to the default.';
    END IF;
    BEGIN
        CASE def.type
        WHEN 'interval' THEN
            canonical := value::interval::text;
            IF (def.min_value IS NOT NULL AND value::interval < def.min_value::interval)
               OR (def.max_value IS NOT NULL AND value::interval > def.max_value::interval) THEN
                RAISE EXCEPTION USING ERRCODE = 'numeric_value_out_of_range';
            END IF;
        WHEN 'boolean' THEN
            canonical := value::boolean::text;
        WHEN 'integer' THEN
            canonical := value::bigint::text;
            IF (def.min_value IS NOT NULL AND value::bigint < def.min_value::bigint)
               OR (def.max_value IS NOT NULL AND value::bigint > def.max_value::bigint) THEN
                RAISE EXCEPTION USING ERRCODE = 'numeric_value_out_of_range';
            END IF;
        WHEN 'numeric' THEN
            canonical := value::numeric::text;
            IF value::numeric = 'NaN'::numeric
               OR (def.min_value IS NOT NULL AND value::numeric < def.min_value::numeric)
               OR (def.max_value IS NOT NULL AND value::numeric > def.max_value::numeric) THEN
                RAISE EXCEPTION USING ERRCODE = 'numeric_value_out_of_range';
            END IF;
        WHEN 'enum' THEN
            canonical := lower(btrim(value));
            IF NOT canonical = ANY (def.allowed_values) THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END CASE;
    EXCEPTION
        WHEN invalid_datetime_format OR invalid_text_representation OR datetime_field_overflow
             OR numeric_value_out_of_range OR interval_field_overflow
             OR invalid_parameter_value THEN
            RAISE EXCEPTION 'invalid value "%" for setting "%"', value, name
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('"%s" takes %s%s.', name,
                          CASE def.type WHEN 'enum' THEN 'one of ' || array_to_string(def.allowed_values, ', ')
                                        WHEN 'integer' THEN 'a whole number'
                                        ELSE 'a value of type ' || def.type END,
                          CASE WHEN def.min_value IS NOT NULL OR def.max_value IS NOT NULL
                               THEN format(' from %s to %s', coalesce(def.min_value, '-infinity'),
                                           coalesce(def.max_value, 'infinity'))
                               ELSE '' END);
    END;
    RETURN canonical;
END
$$;
COMMENT ON FUNCTION cartwatch.validate_setting(text, text) IS
    'Checks a value against a setting''s type and range; returns it in canonical form.';

CREATE FUNCTION cartwatch.set_setting(name text, value text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    canonical text := cartwatch.validate_setting(name, value);
BEGIN
    INSERT INTO cartwatch.setting_values AS v (name, value)
    VALUES (set_setting.name, canonical)
    ON CONFLICT ON CONSTRAINT setting_values_pkey
    DO UPDATE SET value = EXCLUDED.value, changed_at = now(), changed_by = current_user;
    RETURN canonical;
END
$$;
COMMENT ON FUNCTION cartwatch.set_setting(text, text) IS
    'Changes a setting after checking its type and range; returns the stored (canonical) value.';

CREATE FUNCTION cartwatch.reset_setting(name text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM cartwatch.setting(name);   -- an unknown name is an error
    DELETE FROM cartwatch.setting_values AS v WHERE v.name = reset_setting.name;
    RETURN cartwatch.setting(name);
END
$$;
COMMENT ON FUNCTION cartwatch.reset_setting(text) IS
    'Returns a setting to its default; returns the default.';

REVOKE ALL ON FUNCTION cartwatch.set_setting(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION cartwatch.reset_setting(text) FROM PUBLIC;

-- The abandon_after setting, kept by each backend until a setting changes
-- (extension/abandon_after.cpp): the cart views and the customer summary compare every open
-- cart with now minus it, and a call of setting() per query, let alone per row, costs more than
-- a summary lookup. The cart views call it as a scalar subquery,
-- (SELECT cartwatch.abandon_after()): evaluated once per query, by a parallel query's leader
-- before its workers start, instead of in every row (in every worker). The customer summary,
-- read one customer at a time, calls open_carts_abandoned() in its row instead: a scalar
-- subquery costs about a microsecond to set up at every lookup, a C call a fraction of that.
CREATE FUNCTION cartwatch.abandon_after() RETURNS interval
AS 'MODULE_PATHNAME', 'cartwatch_abandon_after'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION cartwatch.abandon_after() IS
    'The abandon_after setting (how long an idle cart takes to count as abandoned), as last committed or as this transaction set it.';

-- Announces a change of the settings to every backend at commit, so that the values they keep
-- are read again.
CREATE FUNCTION cartwatch.settings_changed() RETURNS trigger
AS 'MODULE_PATHNAME', 'cartwatch_settings_changed'
LANGUAGE C;
COMMENT ON FUNCTION cartwatch.settings_changed() IS
    'Trigger on the settings tables: at commit, every backend forgets the settings it keeps (abandon_after()).';
REVOKE ALL ON FUNCTION cartwatch.settings_changed() FROM PUBLIC;
CREATE TRIGGER setting_values_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cartwatch.setting_values
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.settings_changed();
CREATE TRIGGER setting_definitions_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cartwatch.setting_definitions
    FOR EACH STATEMENT EXECUTE FUNCTION cartwatch.settings_changed();
