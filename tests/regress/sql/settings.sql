-- cartwatch.settings, set_setting(), setting(), reset_setting().
\ir tests/regress/setup.psql

SELECT name, value, type, default_value, changed, min_value, max_value FROM cartwatch.settings
 ORDER BY name;
SELECT cartwatch.setting('abandon_after');

-- Values are checked and stored in canonical form.
SELECT cartwatch.set_setting('abandon_after', '90 min');
SELECT cartwatch.setting('abandon_after')::interval = interval '1 hour 30 minutes' AS stored;
SELECT name, value, changed, changed_by = current_user AS by_me FROM cartwatch.settings
 WHERE name = 'abandon_after';
SELECT cartwatch.set_setting('abandon_after', '1 minute');
SELECT cartwatch.set_setting('abandon_after', '90 days');

-- Bad values change nothing.
\set VERBOSITY default
SELECT cartwatch.set_setting('abandon_after', 'soon');
SELECT cartwatch.set_setting('abandon_after', '-2 hours');
SELECT cartwatch.set_setting('abandon_after', '30 seconds');
SELECT cartwatch.set_setting('abandon_after', '1 year');
SELECT cartwatch.set_setting('abandon_after', NULL);
SELECT cartwatch.set_setting('no_such_knob', '1');
SELECT cartwatch.set_setting(NULL, '1');
SELECT cartwatch.setting('no_such_knob');
SELECT cartwatch.setting('abandon_after');

-- Back to the default.
SELECT cartwatch.reset_setting('abandon_after');
SELECT name, value, changed FROM cartwatch.settings WHERE name = 'abandon_after';
SELECT cartwatch.reset_setting('no_such_knob');

-- The settings cannot be changed behind set_setting()'s back by an ordinary role.
CREATE ROLE cw_settings_reader;
GRANT USAGE ON SCHEMA cartwatch TO cw_settings_reader;
SET ROLE cw_settings_reader;
SELECT cartwatch.set_setting('abandon_after', '3 hours');
RESET ROLE;
DROP OWNED BY cw_settings_reader;
DROP ROLE cw_settings_reader;

-- setting() pins no search_path (it runs on every order, through the attribution trigger): a
-- schema put first with its own text = text and text type changes nothing it reads.
CREATE SCHEMA cw_settings_hostile;
CREATE FUNCTION cw_settings_hostile.texteq_hostile(text, text) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hostile operator used'; END $$;
CREATE OPERATOR cw_settings_hostile.= (LEFTARG = text, RIGHTARG = text,
                                      FUNCTION = cw_settings_hostile.texteq_hostile);
SET search_path = cw_settings_hostile, pg_catalog, public;
SELECT 'a'::text = 'a'::text AS hostile_here;
SELECT cartwatch.setting('attribution_window') AS attribution_window;
SELECT cartwatch.setting('no_such_setting');
RESET search_path;
DROP SCHEMA cw_settings_hostile CASCADE;
