using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using AgentFleet.Console.Fleet;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Mvc;
using StackExchange.Redis;

namespace AgentFleet.Console.Auth;

/// <summary>
/// Signing in with an API key: the fleet is asked who the key is (<c>GET /v1/keys/self</c> through the gateway), and
/// the answer goes into a cookie only the server can read (Data Protection, keys in Redis so every replica and every
/// restart reads it), HttpOnly and SameSite=Strict.
/// </summary>
public static class ConsoleAuth
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;

    public static void AddConsoleAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().SetApplicationName("agent-fleet-console");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((options, redis) =>
            options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), "console:data-protection-keys"));
        builder.Services.AddAuthentication(Scheme).AddCookie(options =>
        {
            options.Cookie.Name = "fleet-console";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.LoginPath = "/signin";
            options.ExpireTimeSpan = TimeSpan.FromHours(12);
            options.SlidingExpiration = true;
            // Behind the gateway the request's host is the console's own address: a redirect to it would leave the
            // gateway. A path stays on whatever host the browser used.
            options.Events.OnRedirectToLogin = context =>
            {
                context.Response.Redirect(new Uri(context.RedirectUri, UriKind.RelativeOrAbsolute) is { IsAbsoluteUri: true } absolute ? absolute.PathAndQuery : context.RedirectUri);
                return Task.CompletedTask;
            };
        });
        builder.Services.AddAuthorization();
        builder.Services.AddCascadingAuthenticationState();
    }

    public static void MapConsoleAuth(this WebApplication app)
    {
        app.MapPost("/signin", SignInAsync).DisableAntiforgery().AllowAnonymous();
        app.MapPost("/signout", async (HttpContext context) =>
        {
            await context.SignOutAsync(Scheme);
            return Results.LocalRedirect("/signin");
        }).AllowAnonymous();
    }

    private static async Task<IResult> SignInAsync(HttpContext context, [FromForm] string? key, [FromForm] string? returnUrl, IHttpClientFactory clients,
        CancellationToken cancellationToken)
    {
        key = key?.Trim();
        if (string.IsNullOrEmpty(key))
        {
            return Results.LocalRedirect("/signin?error=" + Uri.EscapeDataString("Paste an API key."));
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/keys/self");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(FleetApi.ClientName).SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return Results.LocalRedirect("/signin?error=" + Uri.EscapeDataString("The fleet cannot be reached; try again shortly."));
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var problem = await FleetApiException.ReadAsync(response, cancellationToken);
                var message = (int)response.StatusCode is 401 or 403 ? "That key is not valid (unknown or revoked)." : problem.Message;
                return Results.LocalRedirect("/signin?error=" + Uri.EscapeDataString(message));
            }
            var self = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!;
            var user = new ConsoleUser(key, Text(self, "keyId") ?? Text(self, "id") ?? "", Text(self, "owner") ?? "", Text(self, "role") ?? "viewer");
            await context.SignInAsync(Scheme, user.ToPrincipal(), new AuthenticationProperties { IsPersistent = false });
            // Back where the person was going, if that is a page of the console.
            return Results.LocalRedirect(returnUrl is { Length: > 1 } target && target.StartsWith('/') && !target.StartsWith("//") && !target.StartsWith("/\\") ? target : "/");
        }
    }

    private static string? Text(JsonObject json, string name) => json[name]?.GetValue<string>();
}
