using KafkaIngestion.Api.WarmUp;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaIngestion.Tests.Api;

public sealed class WarmUpTests
{
    private static readonly WarmUpOptions Options = new() { MinRequests = 100, QuietMethodsPerRound = 10 };

    [Theory]
    [InlineData(0, 99, false)] // quiet, but too few requests yet
    [InlineData(9, 100, true)]
    [InlineData(10, 100, false)] // still compiling
    [InlineData(500, 5_000, false)]
    public void ARoundIsQuietAfterEnoughRequestsWhenItCompiledAlmostNothing(long methods, int requests, bool quiet) =>
        Assert.Equal(quiet, WarmUpRounds.IsQuiet(methods, requests, Options));

    [Theory]
    [InlineData("http://+:8080", "http://localhost:8080")]
    [InlineData("http://*:8080", "http://localhost:8080")]
    [InlineData("http://[::]:8080", "http://localhost:8080")]
    [InlineData("http://0.0.0.0:5090", "http://localhost:5090")]
    [InlineData("http://127.0.0.1:5090", "http://127.0.0.1:5090")]
    [InlineData("http://localhost:41234", "http://localhost:41234")]
    [InlineData("http://[::1]:5090", "http://[::1]:5090")]
    public void AWildcardListeningAddressIsCalledOnLoopback(string listening, string called) =>
        Assert.Equal(called, WarmUpRounds.Loopback(listening));

    [Fact]
    public async Task ReadinessWaitsForTheWarmUpToEnd()
    {
        var state = new WarmUpState();
        var check = new WarmUpHealthCheck(state);

        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        state.MarkDone();
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public void TheWarmUpRouteAdmitsOnlyItsOwnTokenAndOnlyUntilTheWarmUpEnds()
    {
        var state = new WarmUpState();
        var withToken = Request(state.Token);

        Assert.True(state.Admits(withToken));
        Assert.False(state.Admits(Request(null)));
        Assert.False(state.Admits(Request(new string('0', state.Token.Length))));
        state.MarkDone();
        Assert.False(state.Admits(withToken));
    }

    private static HttpRequest Request(string? token)
    {
        var context = new DefaultHttpContext();
        if (token is not null)
        {
            context.Request.Headers[WarmUpState.TokenHeader] = token;
        }

        return context.Request;
    }
}
