from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save
from django.utils.translation import gettext_lazy as _


class OrdersExtConfig(AppConfig):
    """The core app: models, workflow, services. Front ends are separate apps."""

    name = "oscar_orders_ext"
    label = "oscar_orders_ext"
    verbose_name = _("Order workspace")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from oscar.apps.order.signals import order_placed, order_status_changed
        from oscar.core.loading import get_model

        from . import checks, receivers  # noqa: F401  (checks register themselves)
        from .models import OrderProcess
        from .signals import order_process_changed, order_state_changed

        order_model = get_model("order", "Order")
        post_save.connect(receivers.attach_process_to_new_order, sender=order_model,
                          dispatch_uid="oscar_orders_ext.attach_process")
        post_save.connect(receivers.record_payment_method,
                          sender=get_model("payment", "Source"),
                          dispatch_uid="oscar_orders_ext.payment_method")
        # Oscar sends this with sender=<the order instance>, so it cannot be filtered by class.
        order_status_changed.connect(receivers.follow_status_changed_elsewhere,
                                     dispatch_uid="oscar_orders_ext.follow_status")
        from payments.signals import status_changed

        status_changed.connect(receivers.record_confirmed_payment,
                               sender=get_model("oscar_orders_ext", "OrderPayment"),
                               dispatch_uid="oscar_orders_ext.record_payment")

        order_process_changed.connect(receivers.settle_edited_order,
                                      dispatch_uid="oscar_orders_ext.settle_edited_order")
        # The customer directory's aggregates follow orders, processes and accounts.
        from django.contrib.auth import get_user_model


        pre_save.connect(receivers.remember_order_email, sender=order_model,
                         dispatch_uid="oscar_orders_ext.customer_email")
        post_save.connect(receivers.recount_order_customers, sender=order_model,
                          dispatch_uid="oscar_orders_ext.customer_order")
        post_save.connect(receivers.recount_process_customer, sender=OrderProcess,
                          dispatch_uid="oscar_orders_ext.customer_process")
        post_delete.connect(receivers.recount_process_customer, sender=OrderProcess,
                            dispatch_uid="oscar_orders_ext.customer_process_deleted")
        post_save.connect(receivers.recount_account_customer, sender=get_user_model(),
                          dispatch_uid="oscar_orders_ext.customer_account")
        order_placed.connect(receivers.tag_customer_of_placed_order,
                             dispatch_uid="oscar_orders_ext.customer_tags")
        # Webhook events (oscar_orders_ext.webhooks), from the services' signals.
        post_save.connect(receivers.webhook_order_created, sender=OrderProcess,
                          dispatch_uid="oscar_orders_ext.webhook_created")
        order_state_changed.connect(receivers.webhook_state_changed,
                                    dispatch_uid="oscar_orders_ext.webhook_state")
        order_process_changed.connect(receivers.webhook_process_changed,
                                      dispatch_uid="oscar_orders_ext.webhook_changed")
        # Subscriptions (docs/subscriptions.md): started inside the confirming move's
        # transaction (django-fsm's post_transition runs in the transition service's lock).
        from django_fsm.signals import post_transition
        post_transition.connect(receivers.start_subscriptions_on_confirmation,
                                sender=OrderProcess,
                                dispatch_uid="oscar_orders_ext.subscriptions_start")
        order_placed.connect(receivers.mark_subscription_orders,
                             dispatch_uid="oscar_orders_ext.subscription_type")
        post_save.connect(receivers.settle_paid_renewal, sender=OrderProcess,
                          dispatch_uid="oscar_orders_ext.renewal_paid")
        post_save.connect(receivers.settle_installments, sender=OrderProcess,
                          dispatch_uid="oscar_orders_ext.installments_paid")
        post_migrate.connect(receivers.create_default_funnel, sender=self,
                             dispatch_uid="oscar_orders_ext.default_funnel")
