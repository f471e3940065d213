namespace KafkaIngestion.Tests;

/// <summary>
/// An operator's rule that makes a store refuse events of one type, as each store's SQL writes
/// it: it refuses the same events on every attempt, as a CHECK or a foreign key would, unlike an
/// outage. Shared by the store contract tests and the end-to-end scenarios; the trigger (and
/// PostgreSQL's trigger function) is named after the type, so the rule can be dropped by type.
/// </summary>
internal static class RefusalTriggers
{
    /// <summary>SQLite's <c>RAISE(ABORT)</c>, which the store sees as a constraint failure.</summary>
    public static string CreateSqlite(string type, string message) =>
        $"""CREATE TRIGGER "{Name(type)}" BEFORE INSERT ON events WHEN NEW.type = '{type}' BEGIN SELECT RAISE(ABORT, '{message}'); END;""";

    public static string DropSqlite(string type) => $"""DROP TRIGGER "{Name(type)}";""";

    /// <summary>A PL/pgSQL trigger function and its trigger.</summary>
    /// <param name="errorCode">
    /// The condition raised (e.g. <c>data_exception</c>); null raises with none, which PostgreSQL
    /// reports as SQLSTATE P0001, the way most validation triggers are written.
    /// </param>
    public static string CreatePostgres(string type, string message, string? errorCode) => $"""
        CREATE FUNCTION "{Name(type)}"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.type = '{type}' THEN
                RAISE EXCEPTION '{message}'{(errorCode is null ? "" : $" USING ERRCODE = '{errorCode}'")};
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER "{Name(type)}" BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION "{Name(type)}"();
        """;

    public static string DropPostgres(string type) => $"""DROP TRIGGER "{Name(type)}" ON events; DROP FUNCTION "{Name(type)}"();""";

    // A quoted identifier: dots are fine. PostgreSQL cuts names at 63 bytes, alike when creating and dropping.
    private static string Name(string type) => $"refuse {type}";
}
