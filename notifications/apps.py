from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Practices and client lists"

    def ready(self) -> None:
        # Here, not at the top: the receivers' modules import models, which need the app registry
        # that is being filled when this module is imported.
        from notifications import signals  # noqa: F401  (connects the receivers)
        from notifications.delivery import webhooks  # noqa: F401  (connects the receivers)
