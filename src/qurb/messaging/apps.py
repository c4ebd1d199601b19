from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "qurb.messaging"
    label = "messaging"
    verbose_name = "Neighbourhood messages"

    def ready(self) -> None:
        # The lower apps announce what residents may want to hear of (signals); messaging
        # listens here, so that they never import it.
        from qurb.messaging import receivers

        receivers.connect()
