using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFleet.ServiceDefaults.Problems;

public static class ProblemDetailsExtensions
{
    /// <summary>Every error body is an RFC 9457 ProblemDetails with a stable <c>code</c> and the trace id.</summary>
    public static IServiceCollection AddFleetProblemDetails(this IServiceCollection services)
    {
        services.AddExceptionHandler<ClientAbortedHandler>();
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            if (context.Exception is ProblemException known)
            {
                status = known.Status;
                problem.Title = known.Title;
                problem.Detail = known.Detail;
                problem.Extensions["code"] = known.Code;
                if (known.Suggestion is not null)
                {
                    problem.Extensions["suggestion"] = known.Suggestion;
                }
                if (known.Errors is { Count: > 0 } errors)
                {
                    problem.Extensions["errors"] = errors;
                }
                if (known.RetryAfter is { } wait)
                {
                    // The exception handler cleared the response's headers; the wait is set again with the body.
                    SetRetryAfter(context.HttpContext.Response, problem.Extensions, wait);
                }
            }
            else if (context.Exception is not null and not BadHttpRequestException)
            {
                // Whatever the exception said stays in the logs.
                problem.Detail = null;
            }
            problem.Status = status;
            // ASP.NET Core fills in the RFC link for the statuses it knows; the rest get theirs here, never none.
            problem.Type ??= status switch
            {
                StatusCodes.Status402PaymentRequired => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.3",
                StatusCodes.Status413PayloadTooLarge => "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14",
                StatusCodes.Status429TooManyRequests => "https://www.rfc-editor.org/rfc/rfc6585#section-4",
                StatusCodes.Status431RequestHeaderFieldsTooLarge => "https://www.rfc-editor.org/rfc/rfc6585#section-5",
                _ => "about:blank",
            };
            problem.Extensions.TryAdd("code", ProblemCodes.ForStatus(status));
            problem.Extensions.Remove("exception");
            problem.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
        });
        return services;
    }

    /// <summary>
    /// Answers with a ProblemDetails and its stable <paramref name="code"/> from code that answers rather than throws
    /// (middleware, a proxy that must not start a response twice).
    /// </summary>
    /// <param name="retryAfter">When to try again: sent as <c>Retry-After</c> and <c>retryAfterSeconds</c>.</param>
    public static ValueTask WriteProblemAsync(this IProblemDetailsService problems, HttpContext context, int status, string code, string title, string? detail = null,
        IEnumerable<KeyValuePair<string, object?>>? extensions = null, TimeSpan? retryAfter = null)
    {
        context.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail, Extensions = { ["code"] = code } };
        foreach (var (name, value) in extensions ?? [])
        {
            problem.Extensions[name] = value;
        }
        if (retryAfter is { } wait)
        {
            SetRetryAfter(context.Response, problem.Extensions, wait);
        }
        return problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }

    /// <summary>A wait in whole seconds, at least one, as <c>Retry-After</c> requires.</summary>
    public static int RetryAfterSeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    private static void SetRetryAfter(HttpResponse response, IDictionary<string, object?> extensions, TimeSpan wait)
    {
        var seconds = RetryAfterSeconds(wait);
        response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        extensions["retryAfterSeconds"] = seconds;
    }

    /// <summary>Exceptions and bare error status codes (an unmatched route, a 405) become ProblemDetails.</summary>
    public static IApplicationBuilder UseFleetProblemDetails(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A refusal the code meant (a 4xx ProblemException) or a client that left is not an error to log.
            SuppressDiagnosticsCallback = context => context.Exception is ProblemException { Status: < 500 } or BadHttpRequestException
                || (context.Exception is OperationCanceledException && context.HttpContext.RequestAborted.IsCancellationRequested),
            StatusCodeSelector = exception => exception switch
            {
                ProblemException known => known.Status,
                BadHttpRequestException bad => bad.StatusCode,
                _ => StatusCodes.Status500InternalServerError,
            },
        });
        app.UseStatusCodePages();
        return app;
    }

    /// <summary>
    /// A cancellation because the client went away is 499 with no body (nobody reads it); any other
    /// cancellation, such as an internal timeout, is a server error like the rest.
    /// </summary>
    private sealed class ClientAbortedHandler : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
    {
        public ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
            {
                context.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
                return ValueTask.FromResult(true);
            }
            return ValueTask.FromResult(false);
        }
    }
}
