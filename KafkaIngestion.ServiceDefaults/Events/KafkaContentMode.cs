namespace KafkaIngestion.Events;

/// <summary>How an event is laid out in its Kafka record (CloudEvents Kafka protocol binding, section 1.3).</summary>
public enum KafkaContentMode
{
    /// <summary>Attributes as <c>ce_*</c> headers, the data as the record value.</summary>
    Binary,

    /// <summary>
    /// The whole event as one JSON value (<c>application/cloudevents+json</c>) and a single
    /// <c>content-type</c> header: one native header call per record instead of six or more.
    /// </summary>
    Structured,
}
