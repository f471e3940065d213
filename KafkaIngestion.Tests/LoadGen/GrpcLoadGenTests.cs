using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using KafkaIngestion.IngestGrpc;
using KafkaIngestion.LoadGen;
using KafkaIngestion.Tests.Api;
using Microsoft.Extensions.Configuration;

namespace KafkaIngestion.Tests.LoadGen;

/// <summary>The generator's gRPC and h2c options, how it reads gRPC answers, and its transports against the real API.</summary>
public sealed class GrpcLoadGenTests
{
    [Fact]
    public void ProtocolAndHttp2FlagsChooseTheTransportAndTheHttp2Address()
    {
        var grpc = Bind(CommandLine.Parse(["--protocol", "grpc", "--grpc-target", "http://127.0.0.1:6000"]));
        var batches = Bind(CommandLine.Parse(["--protocol", "grpc", "--batch", "100"]));
        var h2c = Bind(CommandLine.Parse(["--format", "cloudevents", "--http2"]));

        Assert.Empty(grpc.Problems());
        Assert.Empty(batches.Problems()); // gRPC batches need no --format cloudevents
        Assert.Equal(new Uri("http://127.0.0.1:6000"), grpc.GrpcTargetUrl);
        Assert.True(h2c.Http2);
        Assert.True(grpc.UsesHttp2Endpoint && h2c.UsesHttp2Endpoint);
        Assert.False(new LoadGenOptions().UsesHttp2Endpoint);
        Assert.Contains(nameof(LoadGenOptions.Protocol), Bind(CommandLine.Parse(["--protocol", "quic"])).Problems().Keys);
        using var stream = LoadTransport.For(grpc.GrpcTargetUrl, grpc, connections: 256);
        using var batch = LoadTransport.For(grpc.GrpcTargetUrl, batches, connections: 8);
        using var http2 = LoadTransport.For(new Uri(h2c.GrpcTargetUrl, "events"), h2c, connections: 8);
        Assert.IsType<GrpcStreamTransport>(stream);
        Assert.IsType<GrpcBatchTransport>(batch);
        Assert.IsType<HttpClientTransport>(http2);
    }

    [Fact]
    public void GrpcAnswersReadAsTheHttpCodesTheRunnerActsOn()
    {
        Assert.Equal(202, GrpcAnswerMapping.ForEvent(new EventResult { Accepted = new Accepted() }).StatusCode);
        Assert.Equal(400, GrpcAnswerMapping.ForEvent(new EventResult { Rejected = new Rejected() }).StatusCode);
        var failed = GrpcAnswerMapping.ForEvent(new EventResult { Failed = new Failed { RetryAfter = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)) } });
        Assert.Equal((503, TimeSpan.FromSeconds(2)), (failed.StatusCode, failed.RetryAfter));

        var mixed = GrpcAnswerMapping.ForBatch(new BatchResult
        {
            Accepted = 1, Rejected = 1, Failed = 1,
            Results = { new EventResult { Id = "a", Accepted = new Accepted() }, new EventResult { Id = "b", Rejected = new Rejected() }, new EventResult { Id = "c", Failed = new Failed() } },
        });
        Assert.Equal((207, 1), (mixed.StatusCode, mixed.Rejected));
        Assert.Equal(["a"], mixed.Accepted!);
        Assert.Equal(503, GrpcAnswerMapping.ForBatch(new BatchResult { Failed = 1, Results = { new EventResult { Id = "c", Failed = new Failed() } } }).StatusCode);

        Assert.Equal(401, GrpcAnswerMapping.ForStatus(new RpcException(new Grpc.Core.Status(StatusCode.Unauthenticated, "no key"))).StatusCode);
        Assert.Equal(400, GrpcAnswerMapping.ForStatus(new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, "bad"))).StatusCode);
        var limited = GrpcAnswerMapping.ForStatus(new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted, Message = "slow down", Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(3)) }) },
        }.ToRpcException());
        Assert.Equal((429, TimeSpan.FromSeconds(3)), (limited.StatusCode, limited.RetryAfter));
        // No answer from the server (the client's own UNAVAILABLE: the connection failed) is a transport error, retried like HTTP's.
        Assert.Equal("GrpcUnavailable", Assert.Throws<TransportException>(() => GrpcAnswerMapping.ForStatus(new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "refused")))).Kind);
        Assert.Equal(TransportException.TimeoutKind, Assert.Throws<TransportException>(() => GrpcAnswerMapping.ForStatus(new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "late")))).Kind);
    }

    [Fact]
    public async Task TheStreamTransportGetsEachEventItsOwnAnswerFromTheRealApi()
    {
        await using var api = await InProcessApi.StartAsync();
        var settings = Bind(CommandLine.Parse(["--protocol", "grpc", "--api-key", InProcessApi.Key]));
        var events = new EventFactory("grpcloadgen", settings);
        using var transport = LoadTransport.For(api.Http2, settings, connections: 128);
        var stats = new RunStats();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        await Task.WhenAll(Enumerable.Range(0, 500).Select(i =>
            LoadRunner.SendOneAsync(transport, events.Request(i, 1), System.Diagnostics.Stopwatch.GetTimestamp(), retries: 0, stats, timeout.Token)));

        Assert.Equal(500, stats.Accepted);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => EventFactory.EventId("grpcloadgen", i)).Order(StringComparer.Ordinal), stats.AcceptedIds.Order(StringComparer.Ordinal));
    }

    private static LoadGenOptions Bind(ParsedCommandLine parsed)
    {
        var options = new LoadGenOptions();
        new ConfigurationBuilder().AddInMemoryCollection(parsed.Settings).Build().GetSection(LoadGenOptions.Section).Bind(options);
        return options;
    }
}
