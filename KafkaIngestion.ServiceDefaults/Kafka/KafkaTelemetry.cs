using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace KafkaIngestion.ServiceDefaults.Kafka;

/// <summary>
/// The small part of Kafka tracing we need, shared by producer and consumer (there is no
/// OpenTelemetry instrumentation package for Confluent.Kafka here). W3C trace context travels
/// in each record's <c>traceparent</c>/<c>tracestate</c> headers, the names the CloudEvents
/// distributed-tracing extension uses; spans follow OpenTelemetry's messaging conventions.
/// Nothing is added to records, and no span is made, unless a tracer listens.
/// </summary>
public static class KafkaTelemetry
{
    public const string ActivitySourceName = "KafkaIngestion.Kafka";
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>Whether any tracer listens to Kafka spans (otherwise none is made).</summary>
    public static bool IsListening => Source.HasListeners();

    /// <summary>
    /// A "send {topic}" producer span for records handed to the broker together; it should end
    /// when the broker has acknowledged them, so its duration is the publish latency.
    /// </summary>
    public static Activity? StartSend(string topic, int messageCount)
    {
        var activity = Source.StartActivity($"send {topic}", ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.operation.name", "send");
            activity.SetTag("messaging.destination.name", topic);
            if (messageCount > 1)
            {
                activity.SetTag("messaging.batch.message_count", messageCount);
            }
        }

        return activity;
    }

    /// <summary>
    /// A "send {topic}" span for one event of a long-lived stream: a trace of its own, linked to
    /// the stream's span, so the head sampler's rate cap applies per event (as children of a
    /// sampled stream, every event of it would be recorded). Not made current: it ends on the
    /// producer's poll thread when the broker has acknowledged the event.
    /// </summary>
    public static Activity? StartStreamSend(string topic, ActivityContext stream)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // A stream's loop clears the current activity once for all its events (see the API's
        // EventStreamSession); a caller with one current pays two AsyncLocal writes here.
        var current = Activity.Current;
        if (current is not null)
        {
            Activity.Current = null;
        }

        var activity = Source.StartActivity($"send {topic}", ActivityKind.Producer, parentContext: default,
            links: stream == default ? null : [new ActivityLink(stream)]);
        if (activity is not null)
        {
            if (activity.IsAllDataRequested)
            {
                activity.SetTag("messaging.system", "kafka");
                activity.SetTag("messaging.operation.type", "send");
                activity.SetTag("messaging.operation.name", "send");
                activity.SetTag("messaging.destination.name", topic);
            }

            // Not current: it ends on another thread.
            Activity.Current = current;
        }
        else if (current is not null)
        {
            Activity.Current = current;
        }

        return activity;
    }

    /// <summary>Where one record landed, on a span about that record alone.</summary>
    public static void SetRecord(Activity? activity, int partition, long offset)
    {
        activity?.SetTag("messaging.destination.partition.id", partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
        activity?.SetTag("messaging.kafka.offset", offset);
    }

    /// <summary>
    /// The headers that carry the span's context (none without a W3C span). Built once per span
    /// and added to each of its records: headers are immutable, so a batch of 1,000 records
    /// shares two objects instead of encoding the context 1,000 times.
    /// </summary>
    public static Header[] ContextHeaders(Activity? activity)
    {
        if (activity?.Id is not { } traceParent || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return [];
        }

        var traceParentHeader = new Header(TraceParentHeader, Encoding.ASCII.GetBytes(traceParent));
        return activity.TraceStateString is { Length: > 0 } traceState
            ? [traceParentHeader, new Header(TraceStateHeader, Encoding.ASCII.GetBytes(traceState))]
            : [traceParentHeader];
    }

    /// <summary>The producer's context from a record's headers, if it carries a valid one.</summary>
    public static ActivityContext? Extract(Headers? headers)
    {
        if (headers is null || !headers.TryGetLastBytes(TraceParentHeader, out var traceParent))
        {
            return null;
        }

        var traceState = headers.TryGetLastBytes(TraceStateHeader, out var state) ? Encoding.ASCII.GetString(state) : null;
        return ActivityContext.TryParse(Encoding.ASCII.GetString(traceParent), traceState, isRemote: true, out var context) ? context : null;
    }

    /// <summary>
    /// A "process {topic}" consumer span for a batch. When every record of the batch came from
    /// one producer span (one event, or one batch request) the span continues that trace, so an
    /// event's journey reads as one trace from HTTP to storage, and is sampled as its parent was;
    /// otherwise it starts its own and links the producer spans it handled: the sampled ones when
    /// there are any (the others are in no exporter), so the sampler can keep it for their sake.
    /// </summary>
    public static Activity? StartProcess(string topic, string consumerGroup, IReadOnlyCollection<ActivityContext> producers, int messageCount)
    {
        ArgumentNullException.ThrowIfNull(producers);
        var distinct = producers.Distinct().ToList();
        var parent = distinct.Count == 1 ? distinct[0] : default;
        var links = distinct.Count > 1 ? Links(distinct) : null;
        var activity = Source.StartActivity($"process {topic}", ActivityKind.Consumer, parent, tags: null, links: links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.operation.name", "process");
            activity.SetTag("messaging.destination.name", topic);
            activity.SetTag("messaging.consumer.group.name", consumerGroup);
            activity.SetTag("messaging.batch.message_count", messageCount);
        }

        return activity;
    }

    private static IEnumerable<ActivityLink> Links(List<ActivityContext> producers)
    {
        var sampled = producers.Where(context => context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded)).ToList();
        return (sampled.Count > 0 ? sampled : producers).Select(context => new ActivityLink(context));
    }
}
