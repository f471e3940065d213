using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace KafkaIngestion.Tests.EndToEnd;

[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class IngestionFlowTests(AppHostFixture fixture)
{
    private static readonly TimeSpan ProcessingTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AThousandEventsAreAcceptedAndTheConsumerProcessesEachExactlyOnce()
    {
        using var timeout = new CancellationTokenSource(ProcessingTimeout);
        var runId = Guid.NewGuid().ToString("N");
        var ids = Enumerable.Range(0, 1_000).Select(i => $"{runId}-{i}").ToList();
        var answers = new ConcurrentBag<HttpStatusCode>();

        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = timeout.Token },
            async (id, ct) =>
            {
                using var response = await fixture.Api.PostAsJsonAsync("/register_event",
                    new { id, type = "test.e2e", key = $"k-{id.GetHashCode() % 50}", data = new { id } }, ct);
                answers.Add(response.StatusCode);
            });

        Assert.Equal(1_000, answers.Count(status => status == HttpStatusCode.Accepted));

        var processed = await Waiting.UntilAsync(
            ct => fixture.QueryProcessedAsync(ids, ct),
            times => times.Values.All(t => t > 0),
            ProcessingTimeout,
            "the consumer to process all 1,000 events");
        Assert.All(ids, id => Assert.Equal(1, processed[id]));
    }

    [Fact]
    public async Task AnAcceptedEventSaysWhereTheBrokerStoredIt()
    {
        using var timeout = new CancellationTokenSource(ProcessingTimeout);

        using var response = await fixture.Api.PostAsJsonAsync("/register_event",
            new { type = "test.where", data = new { n = 1 } }, timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
        var root = body.RootElement;
        Assert.True(Guid.TryParse(root.GetProperty("id").GetString(), out var id) && id.Version == 7, "an assigned id is a UUIDv7");
        Assert.Equal("events", root.GetProperty("topic").GetString());
        Assert.InRange(root.GetProperty("partition").GetInt32(), 0, 5);
        Assert.True(root.GetProperty("offset").GetInt64() >= 0);
    }

    [Fact]
    public async Task GetStatusReportsTheBrokerReachableAndCountsEvents()
    {
        using var timeout = new CancellationTokenSource(ProcessingTimeout);

        var status = await fixture.Api.GetFromJsonAsync<JsonElement>("/get_status", timeout.Token);

        Assert.Equal("ok", status.GetProperty("status").GetString());
        Assert.True(status.GetProperty("broker").GetProperty("reachable").GetBoolean());
        Assert.Equal("events", status.GetProperty("topic").GetString());
        Assert.True(status.GetProperty("events").TryGetProperty("accepted", out _));
    }

    [Fact]
    public async Task EventsCanBeReadWithAnyKafkaClientAtTheDocumentedAddress()
    {
        using var timeout = new CancellationTokenSource(ProcessingTimeout);
        var id = $"kcat-{Guid.NewGuid():N}";
        using var response = await fixture.Api.PostAsJsonAsync("/register_event",
            new { id, type = "test.tools", key = "tools", data = new { hello = "kafka" } }, timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);

        // The fixed address (localhost:9092 in a real run) the README tells users to point kcat at.
        using var consumer = new ConsumerBuilder<string?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = $"localhost:{fixture.KafkaToolsPort}",
            GroupId = $"test-tools-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
        }).Build();
        var partition = new TopicPartitionOffset("events",
            accepted.GetProperty("partition").GetInt32(), accepted.GetProperty("offset").GetInt64());
        consumer.Assign(partition);

        var record = consumer.Consume(timeout.Token);

        Assert.Equal("tools", record.Message.Key);
        Assert.Equal(id, Header(record, "ce_id"));
        Assert.Equal("test.tools", Header(record, "ce_type"));
        Assert.Equal("""{"hello":"kafka"}""", Encoding.UTF8.GetString(record.Message.Value));
    }

    [Fact]
    public async Task TheWarmUpRouteAnswersNobodyOnceTheApiIsReady()
    {
        using var timeout = new CancellationTokenSource(ProcessingTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/_warm-up/register_event")
        {
            Content = new StringContent("""{"type": "x", "data": {}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Warm-Up-Token", new string('0', 64));

        using var response = await fixture.Api.SendAsync(request, timeout.Token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task MalformedJsonGetsAProblemDetailsThatSaysWhere()
    {
        using var timeout = new CancellationTokenSource(ProcessingTimeout);

        using var response = await fixture.Api.PostAsync("/register_event",
            new StringContent("""{"type": "x", "data": {"a": }""", Encoding.UTF8, "application/json"), timeout.Token);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.Contains("line 1", problem.GetProperty("errors").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingTypeGetsAProblemDetailsNamingTheField()
    {
        using var timeout = new CancellationTokenSource(ProcessingTimeout);

        using var response = await fixture.Api.PostAsJsonAsync("/register_event", new { data = new { a = 1 } }, timeout.Token);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.True(problem.GetProperty("errors").TryGetProperty("type", out _));
    }

    [Fact]
    public async Task AFieldOfTheWrongTypeGetsAProblemDetailsNamingIt()
    {
        using var timeout = new CancellationTokenSource(ProcessingTimeout);

        using var response = await fixture.Api.PostAsync("/register_event",
            new StringContent("""{"type": "x", "time": "not a time"}""", Encoding.UTF8, "application/json"), timeout.Token);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, timeout.Token);
        Assert.True(problem.GetProperty("errors").TryGetProperty("time", out _));
    }

    [Fact]
    public async Task ABodyThatIsNotJsonGets415()
    {
        using var timeout = new CancellationTokenSource(ProcessingTimeout);

        using var response = await fixture.Api.PostAsync("/register_event", new StringContent("type=x", Encoding.UTF8, "text/plain"), timeout.Token);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, timeout.Token);
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(new MediaTypeHeaderValue("application/problem+json").MediaType, response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }

    private static string? Header(ConsumeResult<string?, byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;
}
