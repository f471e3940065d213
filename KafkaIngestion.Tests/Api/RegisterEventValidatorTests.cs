using System.Text.Json;
using KafkaIngestion.Api;
using KafkaIngestion.Events;

namespace KafkaIngestion.Tests.Api;

public sealed class RegisterEventValidatorTests
{
    private static readonly RegisterEventRequest Valid = new(
        Id: null, Type: "order.created", Source: null, Key: "customer-42", Time: null,
        Data: JsonDocument.Parse("""{"orderId":1}""").RootElement);

    [Fact]
    public void AnEventWithOnlyATypeIsValid()
    {
        Assert.Empty(RegisterEventValidator.Validate(Valid with { Key = null, Data = null }));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void AMissingOrBlankTypeIsNamed(string? type)
    {
        var errors = RegisterEventValidator.Validate(Valid with { Type = type });

        Assert.Contains("required", Assert.Single(errors["type"]), StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyIdIsRefusedRatherThanReplaced()
    {
        var errors = RegisterEventValidator.Validate(Valid with { Id = "" });

        Assert.True(errors.ContainsKey("id"));
    }

    [Fact]
    public void TooLongFieldsAreNamedWithTheirLimits()
    {
        var errors = RegisterEventValidator.Validate(Valid with
        {
            Id = new string('i', RegisterEventValidator.MaxIdLength + 1),
            Type = new string('t', RegisterEventValidator.MaxTypeLength + 1),
            Source = new string('s', RegisterEventValidator.MaxSourceLength + 1),
            Key = new string('k', RegisterEventValidator.MaxKeyLength + 1),
        });

        Assert.Equal(["id", "key", "source", "type"], errors.Keys.Order());
        Assert.Contains($"at most {RegisterEventValidator.MaxTypeLength}", errors["type"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void ControlCharactersAreRefusedBecauseFieldsBecomeHeaders()
    {
        var errors = RegisterEventValidator.Validate(Valid with { Type = "order\ncreated", Key = "a\0b" });

        Assert.Contains("control characters", errors["type"][0], StringComparison.Ordinal);
        Assert.Contains("control characters", errors["key"][0], StringComparison.Ordinal);
    }
}
