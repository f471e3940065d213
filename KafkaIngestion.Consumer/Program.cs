using KafkaIngestion.Consumer;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddConsumerApiDefaults();
builder.AddEventConsumer();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapConsumerEndpoints();
app.MapDefaultEndpoints();

app.Run();
