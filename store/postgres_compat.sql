-- SQLite's functions, as PostgreSQL functions with SQLite's names and semantics, for the SQL
-- deskpulse runs on both engines (kpi/views.sql, kpi/, store/). Installed idempotently in the
-- schema the tables live in (store/postgres_compat.py). Only the argument forms our SQL uses
-- are here; anything else SQLite would accept raises, so a new use fails loudly instead of
-- giving another figure. tests/test_postgres_compat.py holds each one against sqlite3.
--
-- Types: a "day" column is `date` and an instant column `timestamptz` on PostgreSQL, text on
-- SQLite. So date() returns a date and strftime() (in the one format the store writes) a
-- timestamptz: compared with a column of the same kind they order like SQLite's text does,
-- and read back they are the same text (pgcore's loaders). Sessions run in UTC.
--
-- The script goes to the server as it is (one simple query, no parameters): its percent
-- signs and regular expressions must not pass through a `?`-placeholder translation.
--
-- What our SQL calls, and where:
--   date(day, '+1 day'), julianday(day)           kpi/views.sql kpi_ext_money_daily, kpi_sla_days
--   date(day, 'weekday 0', '-6 days')             kpi/figures/summary.py (the week of a day)
--   date(instant), date(<text>, '+1 day')         views.sql surveys/agent days, kpi/figures/
--                                                 business.py, agent_hours.py
--   strftime('%Y-%m-%dT%H:%M:%SZ', instant, '+N days'), (..., 'now' [, '+N seconds'])
--                                                 views.sql flags and SLA views, kpi/upkeep/
--                                                 contacts.py, kpi/figures/shares.py
--   julianday(instant), julianday('now')          contacts.py (whole seconds), kpi_sla_at_risk
--   round(double, 0..4)                           every rate and mean of the views
--   instr(text, text)                             CES scales, email domains
--   json_each(tags), json_each(kpi_meta text)     views.sql flags, shares.py, tags.py
-- ("day": a date column or ISO day text; "instant": a timestamptz column or ISO text.)

-- A SQLite time value (text) as a UTC timestamp: 'YYYY-MM-DD', 'YYYY-MM-DD[T| ]HH:MM[:SS[.f]]'
-- with an optional 'Z' or '+HH:MM' suffix (shifted to UTC), 'HH:MM[:SS]' (on 2000-01-01),
-- 'now' (the statement's time, to the millisecond) or a Julian day number. NULL when SQLite
-- would not read it. Days past a month's end roll over as in SQLite ('2023-02-30' = March 2).
CREATE OR REPLACE FUNCTION sqlite_time(x text) RETURNS timestamp
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
DECLARE
    m text[];
    t timestamp;
BEGIN
    IF x IS NULL THEN
        RETURN NULL;
    END IF;
    IF lower(btrim(x)) = 'now' THEN
        RETURN date_trunc('milliseconds', statement_timestamp() AT TIME ZONE 'UTC');
    END IF;
    IF x ~ '^\s*[+-]{0,1}([0-9]+[.]{0,1}[0-9]*|[.][0-9]+)([eE][+-]{0,1}[0-9]+){0,1}\s*$' THEN
        -- a Julian day number: SQLite keeps whole milliseconds
        RETURN timestamp '1970-01-01' + (round(x::float8 * 86400000.0)::bigint
                                         - 210866760000000) * interval '1 millisecond';
    END IF;
    m := regexp_match(x, '^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(([T ]|\s+)([0-9]{2}):([0-9]{2})'
                         '(:([0-9]{2})([.][0-9]*){0,1}){0,1}\s*(Z|z|[+-][0-9]{2}:[0-9]{2}){0,1}){0,1}\s*$');
    IF m IS NULL THEN
        m := regexp_match(x, '^\s*()()()(()([0-9]{2}):([0-9]{2})(:([0-9]{2})([.][0-9]*){0,1}){0,1}'
                             '\s*(Z|z|[+-][0-9]{2}:[0-9]{2}){0,1})\s*$');
        IF m IS NULL THEN
            RETURN NULL;
        END IF;
        m[1] := '2000'; m[2] := '01'; m[3] := '01';
    END IF;
    IF m[2]::int NOT BETWEEN 1 AND 12 OR m[3]::int NOT BETWEEN 1 AND 31
       OR coalesce(m[6], '0')::int > 24 OR coalesce(m[7], '0')::int > 59
       OR coalesce(m[9], '0')::int > 59 THEN
        RETURN NULL;
    END IF;
    t := make_timestamp(m[1]::int, m[2]::int, 1, 0, 0, 0)
         + (m[3]::int - 1) * interval '1 day'
         + coalesce(m[6], '0')::int * interval '1 hour'
         + coalesce(m[7], '0')::int * interval '1 minute'
         + round((coalesce(m[9], '0') || coalesce(nullif(m[10], '.'), ''))::numeric * 1000)
           * interval '1 millisecond';
    IF m[11] IS NOT NULL AND upper(m[11]) <> 'Z' THEN
        t := t - (substr(m[11], 1, 1) || '1')::int
                 * (substr(m[11], 2, 2)::int * interval '1 hour'
                    + substr(m[11], 5, 2)::int * interval '1 minute');
    END IF;
    RETURN t;
END
$fn$;

-- SQLite's date/time modifiers applied in order: '+N days' / '-N hours' / minutes / seconds
-- (N may have a fraction; SQLite rounds to the millisecond), '+N months' / years (whole N; a
-- day past the new month's end rolls over, as in SQLite), 'weekday N' (forward to the next
-- day with weekday N, 0 = Sunday), 'start of day|month|year'. An unknown modifier gives NULL
-- (as in SQLite); one SQLite knows but this does not (localtime, utc, unixepoch, ...) raises.
CREATE OR REPLACE FUNCTION sqlite_modify(t timestamp, mods text[]) RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    modifier text;
    m text[];
    n numeric;
    months int;
BEGIN
    IF t IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH modifier IN ARRAY coalesce(mods, '{}'::text[]) LOOP
        IF modifier IS NULL THEN
            RETURN NULL;
        END IF;
        modifier := lower(btrim(modifier));
        m := regexp_match(modifier,
                          '^([+-]{0,1}[0-9]+[.]{0,1}[0-9]*|[+-]{0,1}[.][0-9]+)\s*(day|hour|minute|second|month|year)s{0,1}$');
        IF m IS NOT NULL THEN
            n := m[1]::numeric;
            IF m[2] IN ('month', 'year') THEN
                IF n <> trunc(n) THEN
                    RAISE EXCEPTION 'deskpulse compat: fractional % in modifier %', m[2], modifier;
                END IF;
                months := extract(year FROM t)::int * 12 + extract(month FROM t)::int - 1
                          + n::int * CASE m[2] WHEN 'year' THEN 12 ELSE 1 END;
                t := make_timestamp(months / 12, months % 12 + 1, 1, 0, 0, 0)
                     + (extract(day FROM t)::int - 1) * interval '1 day'
                     + (t - date_trunc('day', t));
            ELSE
                t := t + round(n * CASE m[2] WHEN 'day' THEN 86400000 WHEN 'hour' THEN 3600000
                                            WHEN 'minute' THEN 60000 ELSE 1000 END)
                         * interval '1 millisecond';
            END IF;
        ELSIF modifier ~ '^weekday [0-6]$' THEN
            t := t + ((substr(modifier, 9)::int - extract(dow FROM t)::int + 7) % 7)
                     * interval '1 day';
        ELSIF modifier IN ('start of day', 'start of month', 'start of year') THEN
            t := date_trunc(substr(modifier, 10), t);
        ELSIF modifier IN ('localtime', 'utc', 'unixepoch', 'julianday', 'auto', 'subsec',
                           'ceiling', 'floor') OR modifier ~ '^[+-][0-9]' THEN
            RAISE EXCEPTION 'deskpulse compat: the SQLite modifier % is not supported on PostgreSQL',
                modifier;
        ELSE
            RETURN NULL;
        END IF;
    END LOOP;
    RETURN t;
END
$fn$;

-- Milliseconds since the Julian epoch as a Julian day: SQLite divides once, and so does this,
-- so differences of julianday() are the same doubles on both engines.
CREATE OR REPLACE FUNCTION sqlite_julian(t timestamp) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT (round(extract(epoch FROM t) * 1000)::bigint + 210866760000000)::float8 / 86400000.0
$fn$;

-- julianday(X): the Julian day of a time value (text), an instant or a day (midnight UTC).
-- Used by kpi/views.sql (day windows, money per day, seconds left) and kpi/upkeep/contacts.py
-- (gaps in whole seconds: ROUND((julianday(a) - julianday(b)) * 86400, 0)).
CREATE OR REPLACE FUNCTION julianday(x text) RETURNS float8
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$ SELECT sqlite_julian(sqlite_time(x)) $fn$;
CREATE OR REPLACE FUNCTION julianday(x timestamptz) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT sqlite_julian(x AT TIME ZONE 'UTC') $fn$;
CREATE OR REPLACE FUNCTION julianday(x date) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT sqlite_julian(x::timestamp) $fn$;

-- date(X, modifiers...): the UTC day of a time value, as a date (SQLite: 'YYYY-MM-DD' text).
-- Used as date(day, '+1 day'), date(day, 'weekday 0', '-6 days') (the Monday of a week),
-- date(<a parameter>, '+1 day') and date(instant) (the UTC day of an instant, in place of substr(x, 1, 10),
-- which has no meaning on a timestamptz). date(timestamptz) without modifiers is PostgreSQL's
-- own cast, the same day in a UTC session.
CREATE OR REPLACE FUNCTION date(x text) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$ SELECT sqlite_time(x)::date $fn$;
CREATE OR REPLACE FUNCTION date(x text, VARIADIC mods text[]) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$ SELECT sqlite_modify(sqlite_time(x), mods)::date $fn$;
CREATE OR REPLACE FUNCTION date(x timestamptz, VARIADIC mods text[]) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT sqlite_modify(x AT TIME ZONE 'UTC', mods)::date
$fn$;
CREATE OR REPLACE FUNCTION date(x date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT x $fn$;
CREATE OR REPLACE FUNCTION date(x date, VARIADIC mods text[]) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT sqlite_modify(x::timestamp, mods)::date $fn$;

-- strftime('%Y-%m-%dT%H:%M:%SZ', X, modifiers...): the instant in the store's own text form
-- on SQLite, a timestamptz here (whole seconds, as %S truncates). Our SQL uses strftime only
-- to compare such an instant with an instant column ("within N days of the last solve",
-- "breach_at before now"): any other format raises rather than return another type.
CREATE OR REPLACE FUNCTION sqlite_instant(fmt text, t timestamp) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
    IF fmt IS DISTINCT FROM '%Y-%m-%dT%H:%M:%SZ' THEN
        RAISE EXCEPTION 'deskpulse compat: strftime supports only the store''s instant format, not %',
            fmt;
    END IF;
    RETURN date_trunc('second', t) AT TIME ZONE 'UTC';
END
$fn$;
CREATE OR REPLACE FUNCTION strftime(fmt text, x text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$ SELECT sqlite_instant(fmt, sqlite_time(x)) $fn$;
CREATE OR REPLACE FUNCTION strftime(fmt text, x text, VARIADIC mods text[]) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT sqlite_instant(fmt, sqlite_modify(sqlite_time(x), mods))
$fn$;
CREATE OR REPLACE FUNCTION strftime(fmt text, x timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT sqlite_instant(fmt, x AT TIME ZONE 'UTC')
$fn$;
CREATE OR REPLACE FUNCTION strftime(fmt text, x timestamptz, VARIADIC mods text[])
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT sqlite_instant(fmt, sqlite_modify(x AT TIME ZONE 'UTC', mods))
$fn$;
CREATE OR REPLACE FUNCTION strftime(fmt text, x date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT sqlite_instant(fmt, x::timestamp) $fn$;
CREATE OR REPLACE FUNCTION strftime(fmt text, x date, VARIADIC mods text[]) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT sqlite_instant(fmt, sqlite_modify(x::timestamp, mods))
$fn$;

-- The exact decimal value of a double (no rounding to 15 or 17 digits): m * 2^e from its bits.
CREATE OR REPLACE FUNCTION sqlite_exact(x float8) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
    bits bigint := ('x' || encode(float8send(x), 'hex'))::bit(64)::bigint;
    biased int := ((bits >> 52) & 2047)::int;
    mantissa numeric := bits & 4503599627370495;
    e int;
    digits text;
BEGIN
    IF biased = 0 THEN
        e := -1074;
    ELSE
        mantissa := mantissa + 4503599627370496;
        e := biased - 1075;
    END IF;
    IF e >= 0 THEN
        mantissa := mantissa * 2::numeric ^ e;
    ELSE
        digits := (mantissa * 5::numeric ^ (-e))::numeric(1000, 0)::text;
        IF length(digits) < 1 - e THEN
            digits := lpad(digits, 1 - e, '0');
        END IF;
        mantissa := (substr(digits, 1, length(digits) + e) || '.'
                     || substr(digits, length(digits) + e + 1))::numeric;
    END IF;
    RETURN CASE WHEN bits < 0 THEN -mantissa ELSE mantissa END;
END
$fn$;

-- The double SQLite 3.40's atof reads for a (positive) decimal: the digits over a power of ten
-- in long double, then rounded to a double. Differs from a correctly rounded read only when
-- the decimal lies within 2^-64 of halfway between two doubles; only then is the long
-- double (64 significant bits, ties to even) worked out.
CREATE OR REPLACE FUNCTION sqlite_atof(a numeric) RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
    nearest float8 := a::float8;
    e2 int;
    grid numeric;
    m numeric;
    digits text;
BEGIN
    IF a = 0 THEN
        RETURN nearest;
    END IF;
    e2 := ((('x' || encode(float8send(nearest), 'hex'))::bit(64)::bigint >> 52) & 2047)::int
          - 1023;
    grid := a * 2::numeric ^ (52 - e2);
    IF abs(grid - trunc(grid) - 0.5) > 0.001 THEN
        RETURN nearest;
    END IF;
    grid := a * 2::numeric ^ (63 - e2);
    IF grid >= 2::numeric ^ 64 THEN
        e2 := e2 + 1;
        grid := a * 2::numeric ^ (63 - e2);
    END IF;
    m := trunc(grid);
    IF grid - m > 0.5 OR (grid - m = 0.5 AND mod(m, 2) = 1) THEN
        m := m + 1;
    END IF;
    IF 63 - e2 <= 0 THEN
        RETURN (m * 2::numeric ^ (e2 - 63))::float8;
    END IF;
    digits := (m * 5::numeric ^ (63 - e2))::numeric(1000, 0)::text;
    IF length(digits) <= 63 - e2 THEN
        digits := lpad(digits, 64 - e2, '0');
    END IF;
    RETURN (substr(digits, 1, length(digits) - 63 + e2) || '.'
            || substr(digits, length(digits) - 62 + e2))::numeric::float8;
END
$fn$;

-- round(X, N) on a double as SQLite 3.40 does it, for N up to 15 (more raises). Values past
-- 2^52 are whole already; N = 0 adds 0.5 away from zero in double arithmetic and truncates;
-- N > 0 prints with "%.Nf" after adding (in long double) 0.5e-N and, for moderate magnitudes,
-- X * 3e-16 (its nudge that sends 2.675 to 2.68), then reads the digits back (sqlite_atof).
-- Exact ties of |X| * 10^N past 1e13 may differ in the last digit (SQLite's long-double
-- digit loop is not replayed). PostgreSQL has no round(float8, int) and rounds float8
-- halves to even. Integers reach this overload too (float8 is the preferred numeric type),
-- as in SQLite, where round() always returns a double.
CREATE OR REPLACE FUNCTION round(x float8, n integer) RETURNS float8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    places int;
    magnitude float8;
    ex int;
    shortest numeric;
    grid numeric;
    margin numeric;
    a numeric;
    rounder numeric;
    sum64 numeric;
    scale numeric;
BEGIN
    IF x IS NULL OR n IS NULL THEN
        RETURN NULL;
    END IF;
    places := greatest(n, 0);
    IF places > 15 THEN
        -- past the digits of a double SQLite's printf and atof give other doubles again
        RAISE EXCEPTION 'deskpulse compat: round to % places is not supported (15 at most)', n;
    END IF;
    IF x < -4503599627370496.0 OR x > 4503599627370496.0 OR x <> x THEN
        RETURN x;
    END IF;
    IF places = 0 THEN
        RETURN trunc(x + CASE WHEN x < 0 THEN -0.5::float8 ELSE 0.5::float8 END);
    END IF;
    magnitude := abs(x);
    IF magnitude = 0 THEN
        RETURN x;
    END IF;
    -- fast path: X's decimal text (shortest round trip; 15 digits if extra_float_digits is
    -- 0: either is within 1e-15 of X) decides, unless a tie is nearer than the margin
    shortest := magnitude::text::numeric;
    scale := 10::numeric ^ places;
    grid := shortest * scale;
    margin := shortest * scale * 1e-14 + 1e-12;
    IF abs(grid - trunc(grid) - 0.5) > margin THEN
        a := trunc(grid + 0.5) / scale;
    ELSE
        -- near a tie: SQLite's own arithmetic on the exact value of X
        ex := ((('x' || encode(float8send(magnitude), 'hex'))::bit(64)::bigint >> 52) & 2047)::int
              - 1023;
        rounder := sqlite_exact(('5e-' || (places % 10 + 1))::float8);
        IF places >= 10 THEN
            rounder := rounder * sqlite_exact(1e-10::float8);
        END IF;
        IF places + trunc(ex / 3.0) < 15 THEN
            rounder := rounder + sqlite_exact(magnitude) * sqlite_exact(3e-16::float8);
        END IF;
        -- the sum is a long double: 64 significant bits, ties to even
        rounder := sqlite_exact(magnitude) + rounder;
        IF rounder >= 2::numeric ^ (ex + 1) THEN
            ex := ex + 1;
        END IF;
        grid := rounder * 2::numeric ^ (63 - ex);
        sum64 := trunc(grid);
        IF grid - sum64 > 0.5 OR (grid - sum64 = 0.5 AND mod(sum64, 2) = 1) THEN
            sum64 := sum64 + 1;
        END IF;
        a := div(sum64 * 10::numeric ^ places, 2::numeric ^ (63 - ex)) / 10::numeric ^ places;
    END IF;
    RETURN CASE WHEN x < 0 THEN -1 ELSE 1 END * sqlite_atof(a);
END
$fn$;

-- instr(X, Y): 1-based position of Y in X, 0 when absent (PostgreSQL: strpos).
CREATE OR REPLACE FUNCTION instr(x text, y text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$ SELECT strpos(x, y) $fn$;

-- json_each(X) over a JSON array (ticket tags, [kpi] escalation_tags): one row per element,
-- `key` its 0-based index, `value` the element as text (strings unquoted; JSON null -> NULL).
-- SQLite also walks objects and scalars; deskpulse's SQL never does, so they raise here.
CREATE OR REPLACE FUNCTION sqlite_json_array(x jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
    IF x IS NOT NULL AND jsonb_typeof(x) <> 'array' THEN
        RAISE EXCEPTION 'deskpulse compat: json_each over a JSON % is not supported', jsonb_typeof(x);
    END IF;
    RETURN x;
END
$fn$;
CREATE OR REPLACE FUNCTION json_each(x jsonb) RETURNS TABLE (key bigint, value text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT e.n - 1, e.v #>> '{}'
    FROM jsonb_array_elements(sqlite_json_array(x)) WITH ORDINALITY AS e(v, n)
$fn$;
CREATE OR REPLACE FUNCTION json_each(x text) RETURNS TABLE (key bigint, value text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT * FROM json_each(x::jsonb) $fn$;
