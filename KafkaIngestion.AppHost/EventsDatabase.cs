namespace Aspire.Hosting;

/// <summary>The consumer's PostgreSQL store as part of the app model.</summary>
internal static class EventsDatabase
{
    public const string ConnectionName = "events-db";

    /// <summary>
    /// Hands the consumer an <c>events-db</c> connection: an existing PostgreSQL when
    /// <c>ConnectionStrings:events-db</c> is set, otherwise a PostgreSQL container with a data volume.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithEventsDatabase(this IResourceBuilder<ProjectResource> consumer, IDistributedApplicationBuilder builder)
    {
        IResourceBuilder<IResourceWithConnectionString> database = string.IsNullOrEmpty(builder.Configuration.GetConnectionString(ConnectionName))
            ? builder.AddPostgres("postgres").WithDataVolume().AddDatabase(ConnectionName)
            : builder.AddConnectionString(ConnectionName);

        return consumer
            .WithEnvironment("Consumer__Store", "postgres")
            .WithReference(database).WaitFor(database);
    }
}
