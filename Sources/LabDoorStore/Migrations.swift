import GRDB

/// The schema, as append-only named migrations. Never edit a shipped migration: add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE holder (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL CHECK (length(trim(name)) > 0),
                        profile TEXT NOT NULL,
                        organisation TEXT,
                        email TEXT,
                        suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
                        created_at TEXT NOT NULL
                    );
                    CREATE TABLE badge (
                        fingerprint TEXT PRIMARY KEY,
                        last_four TEXT NOT NULL,
                        holder_id INTEGER NOT NULL REFERENCES holder(id) ON DELETE CASCADE,
                        revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
                        assigned_at TEXT NOT NULL,
                        revoked_at TEXT
                    );
                    CREATE INDEX badge_holder ON badge(holder_id);
                    CREATE TABLE registration (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        holder_id INTEGER NOT NULL REFERENCES holder(id) ON DELETE CASCADE,
                        valid_from TEXT NOT NULL,
                        valid_until TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        CHECK (valid_from < valid_until)
                    );
                    CREATE INDEX registration_holder ON registration(holder_id);
                    CREATE TABLE calendar_override (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        first_day TEXT NOT NULL,
                        last_day TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('closed', 'hours')),
                        hours TEXT NOT NULL DEFAULT '',
                        reason TEXT NOT NULL,
                        CHECK (first_day <= last_day)
                    );
                    CREATE TABLE door_state (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        mode TEXT NOT NULL CHECK (mode IN ('normal', 'lockdown', 'hold_open')),
                        hold_until TEXT
                    );
                    INSERT INTO door_state (id, mode) VALUES (1, 'normal');

                    CREATE TABLE event (
                        seq INTEGER PRIMARY KEY,
                        time TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        reader TEXT,
                        badge TEXT,
                        holder_id INTEGER,
                        outcome TEXT,
                        reason TEXT,
                        actor TEXT,
                        details TEXT,
                        clock_trusted INTEGER NOT NULL,
                        prev_hash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX event_time ON event(time);
                    CREATE INDEX event_holder ON event(holder_id);
                    CREATE TRIGGER event_append_only BEFORE UPDATE ON event
                        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                    CREATE TRIGGER event_no_delete BEFORE DELETE ON event
                        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

                    CREATE TABLE signing_key (
                        key_id TEXT PRIMARY KEY,
                        public_key TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    CREATE TABLE checkpoint (
                        seq INTEGER PRIMARY KEY,
                        hash TEXT NOT NULL,
                        time TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        signature TEXT NOT NULL
                    );
                    """)
        }
        // Retention: a purge leaves a signed anchor, and events at or below it may then be deleted.
        migrator.registerMigration("v2-purge-anchor") { db in
            try db.execute(
                sql: """
                    CREATE TABLE log_anchor (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        seq INTEGER NOT NULL,
                        hash TEXT NOT NULL,
                        time TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        signature TEXT NOT NULL
                    );
                    DROP TRIGGER event_no_delete;
                    CREATE TRIGGER event_no_delete BEFORE DELETE ON event
                        WHEN OLD.seq > COALESCE((SELECT seq FROM log_anchor WHERE id = 1), 0)
                        BEGIN SELECT RAISE(ABORT, 'events are removed only by a purge, below its anchor'); END;
                    """)
        }
        // Staff's day-to-day (issue 12): a removed holder is kept (the log names them) but marked; e-mails are
        // matched case-insensitively by a key the store computes (SQLite's lower() knows only ASCII); badges get
        // a stable id (a TEXT primary key's rowid may change on VACUUM); `hours set` stores weekdays here.
        migrator.registerMigration("v3-staff") { db in
            try db.execute(
                sql: """
                    ALTER TABLE holder ADD COLUMN removed_at TEXT;
                    ALTER TABLE holder ADD COLUMN email_key TEXT;
                    UPDATE holder SET email_key = lower(trim(email)) WHERE email IS NOT NULL;
                    CREATE INDEX holder_email ON holder(email_key);

                    CREATE TABLE badge_v3 (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        fingerprint TEXT NOT NULL UNIQUE,
                        last_four TEXT NOT NULL,
                        holder_id INTEGER NOT NULL REFERENCES holder(id) ON DELETE CASCADE,
                        revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
                        assigned_at TEXT NOT NULL,
                        revoked_at TEXT
                    );
                    INSERT INTO badge_v3 (fingerprint, last_four, holder_id, revoked, assigned_at, revoked_at)
                        SELECT fingerprint, last_four, holder_id, revoked, assigned_at, revoked_at FROM badge
                        ORDER BY assigned_at, rowid;
                    DROP TABLE badge;
                    ALTER TABLE badge_v3 RENAME TO badge;
                    CREATE INDEX badge_holder ON badge(holder_id);

                    CREATE INDEX registration_until ON registration(valid_until);

                    CREATE TABLE weekday_hours (
                        weekday TEXT PRIMARY KEY CHECK (
                            weekday IN ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday')),
                        hours TEXT NOT NULL,
                        set_by TEXT NOT NULL,
                        set_at TEXT NOT NULL
                    );
                    """)
        }
        // A count of registry changes, bumped in each change's transaction: an import planned on a reader
        // connection (off the decision loop) is applied as planned only if no change came in between.
        migrator.registerMigration("v4-registry-generation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE registry_generation (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        generation INTEGER NOT NULL
                    );
                    INSERT INTO registry_generation (id, generation) VALUES (1, 0);
                    """)
        }
        return migrator
    }
}
