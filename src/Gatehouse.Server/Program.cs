using Gatehouse.Server.Hosting;

ProcessMemory.Apply();

// A setting that cannot work ends the process with one line naming the key (exit code 2), a database out of reach or a
// taken address with one line naming it (exit code 3), not a stack trace. Only what escapes Main reaches this handler;
// a test host that runs Main sees the exception itself.
AppDomain.CurrentDomain.UnhandledException += StartupErrors.ExitOnStartupError;

// The slim builder leaves out what Gatehouse never uses (IIS integration, HTTP/3 over QUIC, hosting startup
// assemblies, the EventLog and Debug loggers): a faster start and less memory. HTTPS endpoints from Kestrel's
// configuration still work.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrelHttpsConfiguration();
builder.AddGatehouse();

var app = builder.Build();

// The addresses to listen on and every options validator now, before the database or the key ring is touched: a bad
// setting leaves nothing behind.
StartupErrors.ValidateListenAddresses(app.Configuration, app.Environment.ContentRootPath);
StartupErrors.ValidateConfiguration(app.Services);
await app.InitializeGatehouseAsync();
app.UseGatehouse();
app.MapGatehouseEndpoints();
await app.RunAsync();

/// <summary>The entry point, public so tests can host it in memory.</summary>
public partial class Program;
