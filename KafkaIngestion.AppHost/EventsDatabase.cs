using KafkaIngestion.AppHost.Containers;

namespace Aspire.Hosting;

/// <summary>The consumer's PostgreSQL store as part of the app model.</summary>
internal static class EventsDatabase
{
    public const string ConnectionName = "events-db";

    /// <summary>Where <c>Registry</c>, <c>Image</c> and <c>Tag</c> may name another PostgreSQL image.</summary>
    public const string ImageSection = "Consumer:Postgres:Container";

    /// <summary>The official image Aspire.Hosting.PostgreSQL runs, unless configured otherwise.</summary>
    public static readonly ContainerImage DefaultImage = new("docker.io", "library/postgres", "17.6");

    /// <summary>
    /// Hands the consumer an <c>events-db</c> connection: an existing PostgreSQL when
    /// <c>ConnectionStrings:events-db</c> is set, otherwise a PostgreSQL container with a data volume.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithEventsDatabase(this IResourceBuilder<ProjectResource> consumer, IDistributedApplicationBuilder builder)
    {
        IResourceBuilder<IResourceWithConnectionString> database = string.IsNullOrEmpty(builder.Configuration.GetConnectionString(ConnectionName))
            ? AddPostgresContainer(builder).AddDatabase(ConnectionName)
            : builder.AddConnectionString(ConnectionName);

        return consumer
            .WithEnvironment("Consumer__Store", "postgres")
            .WithReference(database).WaitFor(database);
    }

    private static IResourceBuilder<PostgresServerResource> AddPostgresContainer(IDistributedApplicationBuilder builder)
    {
        var image = ContainerImage.FromConfiguration(builder.Configuration, ImageSection, DefaultImage);
        if (builder.ExecutionContext.IsRunMode)
        {
            ThrowUnlessContainersCanRun(builder, image);
        }

        // The image first: the data volume's path inside the container depends on its tag.
        return builder.AddPostgres("postgres")
            .WithImage(image.Image, image.Tag)
            .WithImageRegistry(image.Registry)
            .WithDataVolume();
    }

    /// <summary>Fails at start, naming both ways out, rather than leave the consumer waiting for a database that never comes.</summary>
    private static void ThrowUnlessContainersCanRun(IDistributedApplicationBuilder builder, ContainerImage image)
    {
        var (usable, problem) = ContainerRuntimeProbe.CanRun(builder, image);
        if (!usable)
        {
            throw new DistributedApplicationException(
                $"Consumer:Store=postgres needs a PostgreSQL server, and none can be started here: {problem}. " +
                $"Either give an existing server as ConnectionStrings:{ConnectionName}, or start Docker or Podman so the AppHost can run " +
                $"the PostgreSQL image ({image}; {ImageSection}:Registry, :Image and :Tag name another).");
        }
    }
}
