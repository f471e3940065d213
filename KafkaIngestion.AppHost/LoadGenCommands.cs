using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Aspire.Hosting;

/// <summary>
/// Dashboard commands on the load generator: "Start a load run" asks for the mode and its
/// numbers and starts a run; "Stop the load run" stops it (its report still covers what was
/// answered). The load generator validates the numbers and the dashboard shows its answer.
/// </summary>
internal static class LoadGenCommands
{
    public static IResourceBuilder<ProjectResource> WithLoadRunCommands(this IResourceBuilder<ProjectResource> loadgen) =>
        loadgen
            .WithHttpCommand("/runs", "Start a load run", commandName: "start-run", commandOptions: new HttpCommandOptions
            {
                Description = "Send events to the API, closed loop (N events, C at a time) or open loop (R events/s for D seconds), then check every accepted event was stored once.",
                IconName = "Play",
                IsHighlighted = true,
                Arguments =
                [
                    new() { Name = "mode", Label = "Mode", InputType = InputType.Choice, Required = true, Value = "closed",
                        Description = "closed: as fast as answered. open: a fixed arrival rate; latency counts from each event's due time.",
                        Options = [new("closed", "Closed loop (N events, C at a time)"), new("open", "Open loop (R events/s for D seconds)")] },
                    new() { Name = "events", Label = "Events (closed loop)", InputType = InputType.Number, Value = "10000" },
                    new() { Name = "concurrency", Label = "Concurrent requests (closed loop)", InputType = InputType.Number, Value = "64" },
                    new() { Name = "rate", Label = "Events per second (open loop)", InputType = InputType.Number, Value = "1000" },
                    new() { Name = "durationSeconds", Label = "Duration in seconds (open loop)", InputType = InputType.Number, Value = "30" },
                    new() { Name = "format", Label = "Format", InputType = InputType.Choice, Value = "simple",
                        Options = [new("simple", "Simple JSON to /register_event"), new("cloudevents", "CloudEvents to /events")] },
                    new() { Name = "protocol", Label = "Protocol", InputType = InputType.Choice, Value = "http",
                        Options = [new("http", "HTTP/1.1 (the format above)"), new("grpc", "gRPC: single events on streams, batches as PublishBatch")] },
                    new() { Name = "batchSize", Label = "Events per request (CloudEvents batches above 1)", InputType = InputType.Number, Value = "1" },
                    new() { Name = "compress", Label = "Compress request bodies", InputType = InputType.Choice, Value = "none",
                        Description = "Each body compressed with this coding and sent with Content-Encoding; the API decodes it.",
                        Options = [new("none", "No (identity)"), new("gzip", "gzip"), new("br", "Brotli (br)"), new("zstd", "Zstandard (zstd)")] },
                    new() { Name = "retries", Label = "Retries of unanswered requests (same ids)", InputType = InputType.Number, Value = "0",
                        Description = "Requests with no answer, a timeout, 429 or 5xx are sent again with the same event ids, up to this many times." },
                ],
                PrepareRequest = context =>
                {
                    var body = new JsonObject();
                    foreach (var input in context.Arguments)
                    {
                        if (string.IsNullOrWhiteSpace(input.Value) || input.Name is null)
                        {
                            continue;
                        }

                        // Numbers go as JSON numbers (the choices are words, never numbers).
                        body[input.Name] = double.TryParse(input.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                            ? JsonValue.Create(number)
                            : JsonValue.Create(input.Value);
                    }

                    context.Request.Content = JsonContent.Create(body);
                    return Task.CompletedTask;
                },
                GetCommandResult = async context => context.Response.StatusCode == HttpStatusCode.Accepted
                    ? CommandResults.Success(await CommandAnswers.DescribeAsync(context.Response, "summary", context.CancellationToken))
                    : CommandResults.Failure(await CommandAnswers.DescribeAsync(context.Response, "detail", context.CancellationToken)),
            })
            .WithHttpCommand("/runs/stop", "Stop the load run", commandName: "stop-run", commandOptions: new HttpCommandOptions
            {
                Description = "Stop sending. The report covers what was answered so far.",
                IconName = "Stop",
            });
}
