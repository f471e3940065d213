namespace KafkaIngestion.AppHost.Containers;

/// <summary>
/// A container image as <c>registry/image:tag</c>, each part configurable under a section
/// (<c>Kafka:Container:Registry</c>, <c>:Image</c>, <c>:Tag</c>) for users behind a mirror or
/// a private registry, and for tests that run locally built images.
/// </summary>
public sealed record ContainerImage(string Registry, string Image, string Tag)
{
    /// <summary>The image the section names, part by part, falling back to <paramref name="defaults"/>.</summary>
    public static ContainerImage FromConfiguration(IConfiguration configuration, string section, ContainerImage defaults)
    {
        var settings = configuration.GetSection(section);
        return new ContainerImage(
            Registry: NonEmpty(settings["Registry"]) ?? defaults.Registry,
            Image: NonEmpty(settings["Image"]) ?? defaults.Image,
            Tag: NonEmpty(settings["Tag"]) ?? defaults.Tag);
    }

    /// <summary>The full reference a runtime is asked for, e.g. <c>docker.io/apache/kafka:4.1.0</c>.</summary>
    public string Reference => $"{Registry}/{Image}:{Tag}";

    public override string ToString() => Reference;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
