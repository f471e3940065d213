using System.Diagnostics;
using KafkaIngestion.ServiceDefaults.Kafka;
using KafkaIngestion.ServiceDefaults.Tracing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace KafkaIngestion.Tests.ServiceDefaults;

/// <summary>
/// The head sampler the services use by default, with the real OpenTelemetry SDK: the
/// consumer's batch span follows the producer's decision, and new traces are capped.
/// </summary>
[Collection(ActivityListeners.Name)]
public sealed class TraceSamplingTests
{
    private static readonly ActivityContext SampledProducer = Producer(ActivityTraceFlags.Recorded);
    private static readonly ActivityContext UnsampledProducer = Producer(ActivityTraceFlags.None);

    [Fact]
    public void ABatchFromASampledProducerSpanContinuesItsTrace()
    {
        using var tracing = Tracing(perSecond: 0);

        using var process = KafkaTelemetry.StartProcess("events", "group", [SampledProducer], 1);

        Assert.NotNull(process);
        Assert.True(process.Recorded);
        Assert.Equal(SampledProducer.TraceId, process.TraceId);
        Assert.Equal(SampledProducer.SpanId, process.ParentSpanId);
    }

    [Fact]
    public void ABatchFromAnUnsampledProducerSpanIsNotRecordedAndSpendsNoNewTrace()
    {
        var limiter = new TraceRateLimiter(1, new FakeTimeProvider());
        using var tracing = Tracing(limiter);

        using (var process = KafkaTelemetry.StartProcess("events", "group", [UnsampledProducer], 1))
        {
            Assert.False(process is { Recorded: true });
        }

        Assert.True(limiter.TryAcquire());
    }

    [Fact]
    public void ABatchOfSeveralProducersIsRecordedWhenOneWasSampledAndLinksOnlyThoseSampled()
    {
        using var tracing = Tracing(perSecond: 0);
        var anotherUnsampled = Producer(ActivityTraceFlags.None);

        using var process = KafkaTelemetry.StartProcess("events", "group", [UnsampledProducer, SampledProducer, anotherUnsampled], 3);

        Assert.NotNull(process);
        Assert.True(process.Recorded);
        Assert.Equal(default, process.ParentSpanId);
        Assert.Equal([SampledProducer], process.Links.Select(link => link.Context));
    }

    [Fact]
    public void ABatchOfSeveralUnsampledProducersIsNotRecordedAndSpendsNoNewTrace()
    {
        var limiter = new TraceRateLimiter(1, new FakeTimeProvider());
        using var tracing = Tracing(limiter);

        using (var process = KafkaTelemetry.StartProcess("events", "group", [UnsampledProducer, Producer(ActivityTraceFlags.None)], 2))
        {
            Assert.False(process is { Recorded: true });
        }

        Assert.True(limiter.TryAcquire());
    }

    [Fact]
    public void NewTracesAreRecordedWhileTheRateAllows()
    {
        using var tracing = Tracing(perSecond: 2);

        var recorded = Enumerable.Range(0, 5).Select(_ =>
        {
            // Records without trace context: the batch span is the root of a new trace.
            using var process = KafkaTelemetry.StartProcess("events", "group", [], 1);
            return process is { Recorded: true };
        }).ToList();

        Assert.Equal([true, true, false, false, false], recorded);
    }

    [Fact]
    public void AnEmptyBucketRefusesUntilOneTokenHasAccruedAndThenAllowsOne()
    {
        var clock = new FakeTimeProvider();
        var limiter = new TraceRateLimiter(2, clock);
        Assert.True(limiter.TryAcquire());
        Assert.True(limiter.TryAcquire());
        Assert.False(limiter.TryAcquire());

        clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(limiter.TryAcquire());

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire());
        Assert.False(limiter.TryAcquire());

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([true, true, false], [limiter.TryAcquire(), limiter.TryAcquire(), limiter.TryAcquire()]);
    }

    [Fact]
    public void TheServiceDefaultsCapNewTracesByTelemetryTracingMaxTracesPerSecond()
    {
        using var app = Build([new("Telemetry:Tracing:MaxTracesPerSecond", "1")]);

        Assert.Equal([true, false], [Sends(), Sends()]);
    }

    [Fact]
    public void OtelTracesSamplerWinsOverTheServiceDefaults()
    {
        using var app = Build([new("Telemetry:Tracing:MaxTracesPerSecond", "0"), new("OTEL_TRACES_SAMPLER", "always_on")]);

        Assert.Equal([true, true], [Sends(), Sends()]);
    }

    [Fact]
    public void ANegativeMaxTracesPerSecondIsRefusedAtStart()
    {
        using var app = Build([new("Telemetry:Tracing:MaxTracesPerSecond", "-1")]);

        var refused = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<global::KafkaIngestion.ServiceDefaults.TelemetryOptions>>().Value);
        Assert.Contains("Telemetry:Tracing:MaxTracesPerSecond", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 2048)]
    [InlineData(10, 2048)]
    [InlineData(100, 4000)]
    [InlineData(1_000_000, 32_768)]
    public void TheExportQueueHoldsTenSecondsOfSpansAtTheCap(int perSecond, int queueSize) =>
        Assert.Equal(queueSize, TraceSampling.QueueSize(perSecond));

    [Fact]
    public void TheServiceDefaultsSizeTheExportQueueForTheCap()
    {
        using var app = Build([new("Telemetry:Tracing:MaxTracesPerSecond", "100")]);

        var export = app.Services.GetRequiredService<IOptionsMonitor<ActivityExportProcessorOptions>>().Get(Options.DefaultName);

        Assert.Equal(4000, export.BatchExportProcessorOptions.MaxQueueSize);
    }

    private static TracerProvider Tracing(int perSecond) => Tracing(new TraceRateLimiter(perSecond, new FakeTimeProvider()));

    private static TracerProvider Tracing(TraceRateLimiter limiter) =>
        Sdk.CreateTracerProviderBuilder()
            .AddSource(KafkaTelemetry.ActivitySourceName)
            .SetSampler(TraceRateSampler.ParentBased(limiter))
            .Build();

    /// <summary>A host with the service defaults, its tracer provider built (it listens from then on).</summary>
    private static WebApplication Build(KeyValuePair<string, string?>[] settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.ConfigureOpenTelemetry();
        var app = builder.Build();
        try
        {
            app.Services.GetRequiredService<TracerProvider>();
        }
        catch (OptionsValidationException)
        {
            // Left for the test to see.
        }

        return app;
    }

    private static bool Sends()
    {
        using var send = KafkaTelemetry.StartSend("events", 1);
        return send is { Recorded: true };
    }

    private static ActivityContext Producer(ActivityTraceFlags flags) =>
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), flags, isRemote: true);
}
