namespace KafkaIngestion.Tests;

/// <summary>
/// An operator's rule that makes a store refuse events of one type, as each store's SQL writes
/// it: it refuses the same events on every attempt, as a CHECK or a foreign key would, unlike an
/// outage. Shared by the store contract tests and the end-to-end scenarios.
/// </summary>
internal static class RefusalTriggers
{
    /// <summary>SQLite's <c>RAISE(ABORT)</c>, which the store sees as a constraint failure.</summary>
    public static string CreateSqlite(string name, string type, string message) =>
        $"""CREATE TRIGGER "{name}" BEFORE INSERT ON events WHEN NEW.type = '{type}' BEGIN SELECT RAISE(ABORT, '{message}'); END;""";

    public static string DropSqlite(string name) => $"""DROP TRIGGER "{name}";""";

    /// <summary>A PL/pgSQL trigger function and its trigger, both called <paramref name="name"/>.</summary>
    /// <param name="errorCode">
    /// The condition raised (e.g. <c>data_exception</c>); null raises with none, which PostgreSQL
    /// reports as SQLSTATE P0001, the way most validation triggers are written.
    /// </param>
    public static string CreatePostgres(string name, string type, string message, string? errorCode) => $"""
        CREATE FUNCTION "{name}"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.type = '{type}' THEN
                RAISE EXCEPTION '{message}'{(errorCode is null ? "" : $" USING ERRCODE = '{errorCode}'")};
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER "{name}" BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION "{name}"();
        """;

    public static string DropPostgres(string name) => $"""DROP TRIGGER "{name}" ON events; DROP FUNCTION "{name}"();""";
}
