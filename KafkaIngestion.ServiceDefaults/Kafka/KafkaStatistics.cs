using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaIngestion.ServiceDefaults.Kafka;

/// <summary>
/// The latest statistics report of one Kafka client (librdkafka emits one every
/// <c>statistics.interval.ms</c>). <see cref="Update"/> runs on the thread that also delivers
/// the client's reports and records (a producer's poll thread; for a consumer, inside
/// <c>Consume</c>, on the consume thread): that call only keeps the string. The report is parsed
/// by whoever reads <see cref="Current"/> (the metrics collection, <c>/get_status</c>), at most
/// once per report, so a slow or failing parse never delays the client and nothing can throw
/// back into librdkafka.
/// </summary>
public sealed class KafkaStatistics
{
    private readonly Lock _parseLock = new();
    private string? _latest;
    private string? _parsedFrom;
    private KafkaStatisticsReport? _current;
    private long _malformed;

    /// <summary>Hands over a report. Called on the client's poll or consume thread: no parsing, no allocation, no throw.</summary>
    public void Update(string statisticsJson) => Volatile.Write(ref _latest, statisticsJson);

    /// <summary>Reports that could not be read (the previous one is kept).</summary>
    public long MalformedReports => Interlocked.Read(ref _malformed);

    /// <summary>The newest report that could be read; null before the first one.</summary>
    public KafkaStatisticsReport? Current
    {
        get
        {
            var latest = Volatile.Read(ref _latest);
            lock (_parseLock)
            {
                // Reports arrive once a second while several instruments read them per
                // collection: compare references, parse only a report not seen yet.
                if (latest is not null && !ReferenceEquals(latest, _parsedFrom))
                {
                    _parsedFrom = latest;
                    if (TryParse(latest) is { } report)
                    {
                        _current = report;
                    }
                    else
                    {
                        Interlocked.Increment(ref _malformed);
                    }
                }

                return _current;
            }
        }
    }

    internal static KafkaStatisticsReport? TryParse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, KafkaStatisticsJsonContext.Default.KafkaStatisticsReport);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// The handful of fields of librdkafka's statistics JSON we turn into instruments (see
/// STATISTICS.md in confluentinc/librdkafka); everything else in the report is skipped.
/// Counters (<c>txmsgs</c>, <c>txerrs</c>, …) are totals since the client started; window
/// statistics (<c>rtt</c>) cover the last interval only, in microseconds.
/// </summary>
public sealed class KafkaStatisticsReport
{
    /// <summary>The client instance's name, e.g. <c>rdkafka#producer-1</c>: unique per process.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    /// <summary><c>producer</c> or <c>consumer</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = "";

    [JsonPropertyName("msg_cnt")]
    public long QueueMessages { get; init; }

    [JsonPropertyName("msg_size")]
    public long QueueBytes { get; init; }

    [JsonPropertyName("txmsgs")]
    public long TransmittedMessages { get; init; }

    [JsonPropertyName("txmsg_bytes")]
    public long TransmittedBytes { get; init; }

    [JsonPropertyName("brokers")]
    public Dictionary<string, KafkaBrokerStatistics> Brokers { get; init; } = [];

    [JsonPropertyName("topics")]
    public Dictionary<string, KafkaTopicStatistics> Topics { get; init; } = [];

    /// <summary>Consumer group state; absent for producers and consumers without a group.</summary>
    [JsonPropertyName("cgrp")]
    public KafkaGroupStatistics? Group { get; init; }
}

public sealed class KafkaBrokerStatistics
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("txerrs")]
    public long TransmitErrors { get; init; }

    [JsonPropertyName("rxerrs")]
    public long ReceiveErrors { get; init; }

    [JsonPropertyName("txretries")]
    public long Retries { get; init; }

    [JsonPropertyName("rtt")]
    public KafkaWindowStatistics? RoundTrip { get; init; }
}

/// <summary>A rolling-window statistic (microseconds for latencies); <c>cnt</c> is 0 when nothing was measured.</summary>
public sealed class KafkaWindowStatistics
{
    [JsonPropertyName("avg")]
    public long Average { get; init; }

    [JsonPropertyName("p99")]
    public long P99 { get; init; }

    [JsonPropertyName("cnt")]
    public long Count { get; init; }
}

public sealed class KafkaTopicStatistics
{
    [JsonPropertyName("partitions")]
    public Dictionary<string, KafkaPartitionStatistics> Partitions { get; init; } = [];
}

public sealed class KafkaPartitionStatistics
{
    /// <summary>The partition id; librdkafka's internal "unassigned" partition is -1.</summary>
    [JsonPropertyName("partition")]
    public int Partition { get; init; }

    /// <summary>Whether the application wants this partition (for a group member: it is assigned to it).</summary>
    [JsonPropertyName("desired")]
    public bool Desired { get; init; }

    /// <summary>High watermark (or last stable offset) minus the committed offset; -1 when unknown.</summary>
    [JsonPropertyName("consumer_lag")]
    public long ConsumerLag { get; init; }

    [JsonPropertyName("fetchq_cnt")]
    public long FetchQueueMessages { get; init; }

    [JsonPropertyName("fetchq_size")]
    public long FetchQueueBytes { get; init; }
}

public sealed class KafkaGroupStatistics
{
    [JsonPropertyName("rebalance_cnt")]
    public long Rebalances { get; init; }
}

[JsonSerializable(typeof(KafkaStatisticsReport))]
internal sealed partial class KafkaStatisticsJsonContext : JsonSerializerContext;
