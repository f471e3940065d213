using System.Text;
using KafkaIngestion.Api.Input;
using Microsoft.AspNetCore.Http;

namespace KafkaIngestion.Tests.Api;

public sealed class BinaryModeReaderTests
{
    private static readonly EventDefaults Defaults = new("/unused", DateTimeOffset.UnixEpoch, MaxEventBytes: 1024);

    private static HttpRequest Request(string? contentType, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = contentType;
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        return context.Request;
    }

    [Fact]
    public void HeadersBecomeAttributesAndTheBodyBecomesData()
    {
        var request = Request("text/csv",
            ("ce-specversion", "1.0"), ("ce-id", "e-1"), ("ce-source", "urn:x"), ("ce-type", "file.row"),
            ("ce-subject", "caf%C3%A9"), ("ce-partitionkey", "k"), ("ce-tenant", "acme"), ("ce-time", "2026-11-24T17:00:00Z"));

        var result = BinaryModeReader.Read(request, "a,b\n1,2"u8, Defaults);

        var ingestEvent = Assert.Single(result.Events)!;
        Assert.Equal("e-1", ingestEvent.Id);
        Assert.Equal("file.row", ingestEvent.Type);
        Assert.Equal("café", ingestEvent.Subject);
        Assert.Equal("k", ingestEvent.Key);
        Assert.Equal("text/csv", ingestEvent.DataContentType);
        Assert.Equal([new("tenant", "acme")], ingestEvent.Extensions);
        Assert.Equal("a,b\n1,2", Encoding.UTF8.GetString(ingestEvent.Data));
    }

    [Fact]
    public void MissingRequiredHeadersAreNamed()
    {
        var result = BinaryModeReader.Read(Request("application/json", ("ce-specversion", "1.0")), "{}"u8, Defaults);

        var problems = result.Problems.ToDictionary();
        Assert.True(problems.ContainsKey("type"));
        Assert.True(problems.ContainsKey("source"));
    }
}
