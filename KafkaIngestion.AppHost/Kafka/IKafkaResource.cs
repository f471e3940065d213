namespace Aspire.Hosting.ApplicationModel;

/// <summary>How the <c>kafka</c> resource is provided. Services cannot tell the difference.</summary>
public enum KafkaMode
{
    /// <summary>The Apache Kafka image in KRaft mode; needs Docker or Podman.</summary>
    Container,

    /// <summary>librdkafka's in-memory mock cluster inside the AppHost process; needs nothing.</summary>
    Embedded,

    /// <summary>An existing cluster given as <c>ConnectionStrings:kafka</c>.</summary>
    External,
}

/// <summary>A Kafka cluster in the app model, whichever <see cref="KafkaMode"/> provides it.</summary>
public interface IKafkaResource : IResourceWithConnectionString
{
    KafkaMode Mode { get; }
}

/// <summary>A topic the application needs; the resource is healthy only once it exists.</summary>
public sealed record KafkaTopicAnnotation(string Name, int Partitions) : IResourceAnnotation;
