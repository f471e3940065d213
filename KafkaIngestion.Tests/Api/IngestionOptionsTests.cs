using System.ComponentModel.DataAnnotations;
using KafkaIngestion.Api;
using KafkaIngestion.Events;
using Microsoft.Extensions.Configuration;

namespace KafkaIngestion.Tests.Api;

public sealed class IngestionOptionsTests
{
    [Theory]
    [InlineData(null, KafkaContentMode.Binary)]
    [InlineData("Structured", KafkaContentMode.Structured)]
    [InlineData("structured", KafkaContentMode.Structured)]
    [InlineData("Binary", KafkaContentMode.Binary)]
    public void TheContentModeBindsFromConfigurationAndDefaultsToBinary(string? setting, KafkaContentMode expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Ingestion:KafkaContentMode"] = setting })
            .Build();

        var options = configuration.GetSection(IngestionOptions.Section).Get<IngestionOptions>() ?? new IngestionOptions();

        Assert.Equal(expected, options.KafkaContentMode);
        Assert.Empty(Validate(options));
    }

    [Fact]
    public void AContentModeThatIsNotOneOfTheTwoFailsValidation()
    {
        var options = new IngestionOptions { KafkaContentMode = (KafkaContentMode)7 };

        Assert.Contains(Validate(options), r => r.MemberNames.Contains(nameof(IngestionOptions.KafkaContentMode)));
    }

    [Fact]
    public void AContentModeNameThatDoesNotExistIsRefusedWhenBound()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Ingestion:KafkaContentMode"] = "Avro" })
            .Build();

        Assert.Throws<InvalidOperationException>(() => configuration.GetSection(IngestionOptions.Section).Get<IngestionOptions>());
    }

    private static List<ValidationResult> Validate(IngestionOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
