using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;
using KafkaIngestion.Http;
using KafkaIngestion.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api;

/// <summary>Reads the events of one request's body in the shape its endpoint and media type say.</summary>
internal delegate EventReadResult EventBodyReader(HttpRequest request, ReadOnlySpan<byte> body, EventDefaults defaults, IngestionOptions settings);

/// <summary>
/// One ingestion request, in order: admit it within the in-flight budget, read its body (and
/// decode it, when compressed), parse its events, publish the valid ones, answer. Every answer
/// (and the count kept with it) comes from <see cref="IngestionAnswers"/>.
/// </summary>
internal sealed class IngestionPipeline(
    EventPublisher publisher,
    InFlightBudget budget,
    IngestionAnswers answers,
    IOptions<IngestionOptions> options,
    PayloadLog payloads,
    TimeProvider timeProvider)
{
    public IngestionAnswers Answers => answers;

    public async Task<IResult> IngestAsync(HttpContext context, EventBodyReader read, bool isBatch, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (ContentEncodingHeader.Read(context.Request.Headers.ContentEncoding, out var coding) is { } encodingProblem)
        {
            return answers.UnsupportedEncoding(context, encodingProblem);
        }

        if (context.Request.ContentLength > settings.MaxRequestBytes)
        {
            return answers.BodyTooLarge(coding);
        }

        var declared = context.Request.ContentLength;
        using var admission = await budget.AdmitAsync(
            coding == ContentCoding.Identity || declared is null ? declared : CompressionRatios.Shared.ExpectedBytes(coding, declared.Value), cancellationToken);
        if (admission is null)
        {
            return answers.InFlightLimit(context);
        }

        EventReadResult parsed;
        try
        {
            using var body = coding == ContentCoding.Identity
                ? await RequestBody.ReadAsync(context.Request, settings.MaxRequestBytes, cancellationToken)
                : await RequestBody.ReadEncodedAsync(context.Request, coding, settings.MaxRequestBytes, admission, cancellationToken);
            switch (body.Status)
            {
                case BodyStatus.TooLarge:
                    return answers.BodyTooLarge(coding);
                case BodyStatus.Undecodable:
                    return answers.Undecodable(body.Problem);
                case BodyStatus.NoRoom:
                    return answers.InFlightLimit(context);
            }

            var defaults = settings.EventDefaultsAt(timeProvider.GetUtcNow());
            try
            {
                parsed = read(context.Request, body.Span, defaults, settings);
            }
            catch (Exception ex) when (IngestionAnswers.IsMalformed(ex))
            {
                // Answered below; the body is only here, before its buffer goes back to the pool.
                payloads.Refused(RejectionReasons.MalformedJson, body.Span);
                throw;
            }

            if (payloads.Enabled && (parsed.EnvelopeProblem is not null || parsed.TooManyEvents || parsed.Events.Contains(null)))
            {
                payloads.Refused(parsed.TooManyEvents ? RejectionReasons.BatchTooLarge : RejectionReasons.InvalidEvent, body.Span);
            }
        }
        catch (BadHttpRequestException ex)
        {
            return answers.Unreadable(ex);
        }
        catch (Exception ex) when (IngestionAnswers.IsMalformed(ex))
        {
            return answers.Malformed(ex);
        }

        if (parsed.EnvelopeProblem is { } envelopeProblem)
        {
            return answers.NoEvents(envelopeProblem);
        }

        if (parsed.TooManyEvents)
        {
            return answers.BatchTooLarge();
        }

        var valid = parsed.Events.OfType<IngestEvent>().ToList();
        answers.CountInvalid(parsed.Events.Count - valid.Count);
        if (valid.Count == 0)
        {
            return IngestionAnswers.AllInvalid(parsed.Problems, isBatch);
        }

        var outcomes = await publisher.PublishAsync(valid, cancellationToken);
        return isBatch
            ? answers.Batch(context, parsed, outcomes)
            : answers.Single(context, valid[0], outcomes[0], publisher.Topic);
    }
}
