// The modelled functions' id table, written by Fixtures/scripts/kfuncs.py (names sorted, ids in
// that order; one static per name). Add a name with `python3 Fixtures/scripts/kfuncs.py NAME`.

extension KFunc {
    /// The modelled functions, in the order of their ids.
    static let names: [String] = [
        "NF_HOOK",
        "NF_HOOK_COND",
        "NF_HOOK_LIST",
        "____sys_sendmsg",
        "___sys_sendmsg",
        "__dev_forward_skb",
        "__dev_queue_xmit",
        "__dev_xmit_skb",
        "__do_softirq",
        "__do_sys_close",
        "__do_sys_connect",
        "__do_sys_recvfrom",
        "__do_sys_sendmmsg",
        "__do_sys_sendmsg",
        "__do_sys_sendto",
        "__do_sys_shutdown",
        "__fib_validate_source",
        "__fput",
        "__icmp_send",
        "__inet_stream_connect",
        "__ip6_append_data",
        "__ip6_finish_output",
        "__ip6_local_out",
        "__ip6_make_skb",
        "__ip6_rt_update_pmtu",
        "__ip_append_data",
        "__ip_finish_output",
        "__ip_local_out",
        "__ip_make_skb",
        "__ip_queue_xmit",
        "__ip_route_output_key",
        "__ip_rt_update_pmtu",
        "__ipv4_sk_update_pmtu",
        "__local_bh_enable_ip",
        "__napi_poll",
        "__neigh_create",
        "__neigh_event_send",
        "__neigh_update",
        "__netif_receive_skb",
        "__netif_receive_skb_core",
        "__netif_receive_skb_list",
        "__netif_receive_skb_list_core",
        "__netif_receive_skb_list_ptype",
        "__netif_receive_skb_one_core",
        "__netif_rx",
        "__se_sys_close",
        "__se_sys_connect",
        "__se_sys_recvfrom",
        "__se_sys_sendmmsg",
        "__se_sys_sendmsg",
        "__se_sys_sendto",
        "__se_sys_shutdown",
        "__skb_get_hash_net",
        "__sock_sendmsg",
        "__sys_connect",
        "__sys_recvfrom",
        "__sys_sendmmsg",
        "__sys_sendmsg",
        "__sys_sendto",
        "__sys_shutdown",
        "__tcp_close",
        "__tcp_push_pending_frames",
        "__tcp_retransmit_skb",
        "__tcp_send_ack",
        "__tcp_transmit_skb",
        "__udp4_lib_err",
        "__udp4_lib_lookup",
        "__udp4_lib_mcast_deliver",
        "__udp4_lib_rcv",
        "__udp6_lib_err",
        "__udp6_lib_mcast_deliver",
        "__udp6_lib_rcv",
        "__udp_enqueue_schedule_skb",
        "__udp_queue_rcv_skb",
        "__udpv6_queue_rcv_skb",
        "__x64_sys_close",
        "__x64_sys_connect",
        "__x64_sys_recvfrom",
        "__x64_sys_sendmmsg",
        "__x64_sys_sendmsg",
        "__x64_sys_sendto",
        "__x64_sys_shutdown",
        "arp_constructor",
        "arp_process",
        "arp_rcv",
        "arp_send",
        "arp_send_dst",
        "arp_solicit",
        "arp_xmit",
        "arp_xmit_finish",
        "call_timer_fn",
        "dev_gro_receive",
        "dev_hard_start_xmit",
        "dev_queue_xmit",
        "do_softirq",
        "do_syscall_64",
        "dst_discard",
        "dst_discard_out",
        "dst_input",
        "dst_output",
        "e1000_clean",
        "e1000_clean_rx_irq",
        "e1000_receive_skb",
        "e1000_xmit_frame",
        "enqueue_to_backlog",
        "entry_SYSCALL_64",
        "entry_SYSCALL_64_after_hwframe",
        "eth_type_trans",
        "fib6_rule_lookup",
        "fib6_table_lookup",
        "fib_lookup",
        "fib_rules_lookup",
        "fib_table_lookup",
        "fib_validate_source",
        "fq_find",
        "get_rps_cpu",
        "gro_normal_list",
        "gro_normal_one",
        "handle_softirqs",
        "icmp6_send",
        "icmp_echo",
        "icmp_rcv",
        "icmp_reply",
        "icmp_socket_deliver",
        "icmp_timestamp",
        "icmp_unreach",
        "icmpv6_echo_reply",
        "icmpv6_notify",
        "icmpv6_push_pending_frames",
        "icmpv6_rcv",
        "icmpv6_route_lookup",
        "icmpv6_rt_has_prefsrc",
        "icmpv6_xrlim_allow",
        "igmp_heard_query",
        "igmp_heard_report",
        "igmp_rcv",
        "inet6_csk_route_req",
        "inet6_csk_xmit",
        "inet6_sendmsg",
        "inet_csk_route_child_sock",
        "inet_csk_route_req",
        "inet_frag_reasm_prepare",
        "inet_recvmsg",
        "inet_release",
        "inet_rtx_syn_ack",
        "inet_sendmsg",
        "inet_shutdown",
        "inet_stream_connect",
        "ip6_append_data",
        "ip6_dst_lookup",
        "ip6_dst_lookup_flow",
        "ip6_finish_output",
        "ip6_finish_output2",
        "ip6_forward",
        "ip6_forward_finish",
        "ip6_frag_queue",
        "ip6_frag_reasm",
        "ip6_fragment",
        "ip6_input",
        "ip6_input_finish",
        "ip6_list_rcv_finish",
        "ip6_local_out",
        "ip6_make_skb",
        "ip6_mc_input",
        "ip6_output",
        "ip6_parse_tlv",
        "ip6_pkt_discard",
        "ip6_pkt_drop",
        "ip6_pkt_prohibit",
        "ip6_pol_route",
        "ip6_pol_route_input",
        "ip6_pol_route_output",
        "ip6_protocol_deliver_rcu",
        "ip6_push_pending_frames",
        "ip6_rcv_core",
        "ip6_rcv_finish",
        "ip6_rcv_finish_core",
        "ip6_route_input",
        "ip6_route_input_lookup",
        "ip6_route_output_flags",
        "ip6_send_skb",
        "ip6_sk_dst_lookup_flow",
        "ip6_sk_update_pmtu",
        "ip6_sublist_rcv",
        "ip6_sublist_rcv_finish",
        "ip6_tlvopt_unknown",
        "ip6_update_pmtu",
        "ip6_xmit",
        "ip_append_data",
        "ip_build_and_send_pkt",
        "ip_defrag",
        "ip_do_fragment",
        "ip_error",
        "ip_expire",
        "ip_find",
        "ip_finish_output",
        "ip_finish_output2",
        "ip_finish_output_gso",
        "ip_forward",
        "ip_forward_finish",
        "ip_frag_queue",
        "ip_frag_reasm",
        "ip_fragment",
        "ip_list_rcv",
        "ip_list_rcv_finish",
        "ip_local_deliver",
        "ip_local_deliver_finish",
        "ip_local_error",
        "ip_local_out",
        "ip_make_skb",
        "ip_mc_validate_source",
        "ip_mkroute_input",
        "ip_options_compile",
        "ip_output",
        "ip_protocol_deliver_rcu",
        "ip_push_pending_frames",
        "ip_queue_xmit",
        "ip_rcv",
        "ip_rcv_core",
        "ip_rcv_finish",
        "ip_rcv_finish_core",
        "ip_rcv_options",
        "ip_route_connect",
        "ip_route_input_mc",
        "ip_route_input_noref",
        "ip_route_input_rcu",
        "ip_route_input_slow",
        "ip_route_me_harder",
        "ip_route_newports",
        "ip_route_output_flow",
        "ip_route_output_key",
        "ip_route_output_key_hash",
        "ip_route_output_key_hash_rcu",
        "ip_route_output_ports",
        "ip_rt_send_redirect",
        "ip_send_skb",
        "ip_send_unicast_reply",
        "ip_sublist_rcv",
        "ip_sublist_rcv_finish",
        "ipv4_conntrack_defrag",
        "ipv4_conntrack_in",
        "ipv4_conntrack_local",
        "ipv4_sk_update_pmtu",
        "ipv4_update_pmtu",
        "ipv6_chk_mcast_addr",
        "ipv6_destopt_rcv",
        "ipv6_frag_rcv",
        "ipv6_list_rcv",
        "ipv6_parse_hopopts",
        "ipv6_rcv",
        "ipv6_rthdr_rcv",
        "kfree_skb_reason",
        "kthread",
        "napi_complete_done",
        "napi_gro_receive",
        "napi_poll",
        "napi_skb_finish",
        "ndisc_rcv",
        "ndisc_recv_na",
        "ndisc_recv_ns",
        "ndisc_send_na",
        "ndisc_send_ns",
        "ndisc_send_skb",
        "ndisc_solicit",
        "neigh_connected_output",
        "neigh_event_send",
        "neigh_hh_output",
        "neigh_output",
        "neigh_probe",
        "neigh_resolve_output",
        "neigh_timer_handler",
        "neigh_update",
        "net_rx_action",
        "netif_receive_skb_internal",
        "netif_receive_skb_list_internal",
        "netif_rx_internal",
        "nf_confirm",
        "nf_conntrack_icmpv4_error",
        "nf_conntrack_in",
        "nf_ct_ipv4_gather_frags",
        "nf_hook",
        "nf_hook_slow",
        "nf_hook_slow_list",
        "nf_nat_icmp_reply_translation",
        "nf_nat_inet_fn",
        "nf_nat_ipv4_local_fn",
        "nf_nat_ipv4_local_in",
        "nf_nat_ipv4_out",
        "nf_nat_ipv4_pre_routing",
        "nf_nat_manip_pkt",
        "nf_send_reset",
        "nf_send_reset6",
        "nf_send_unreach",
        "nf_send_unreach6",
        "nft_do_chain",
        "nft_do_chain_arp",
        "nft_do_chain_inet",
        "nft_do_chain_ipv4",
        "nft_do_chain_ipv6",
        "nft_nat_do_chain",
        "nft_reject_inet_eval",
        "nft_reject_ipv4_eval",
        "nft_reject_ipv6_eval",
        "page_to_skb",
        "ping_rcv",
        "ping_v4_push_pending_frames",
        "ping_v4_sendmsg",
        "ping_v6_sendmsg",
        "process_backlog",
        "raw_icmp_error",
        "raw_local_deliver",
        "raw_send_hdrinc",
        "raw_sendmsg",
        "rawv6_push_pending_frames",
        "rawv6_sendmsg",
        "receive_buf",
        "receive_mergeable",
        "ret_from_fork",
        "run_ksoftirqd",
        "sch_direct_xmit",
        "smpboot_thread_fn",
        "sock_close",
        "sock_sendmsg",
        "sock_sendmsg_nosec",
        "start_xmit",
        "tcp_ack",
        "tcp_check_req",
        "tcp_child_process",
        "tcp_cleanup_rbuf",
        "tcp_close",
        "tcp_conn_request",
        "tcp_connect",
        "tcp_create_openreq_child",
        "tcp_data_queue",
        "tcp_delack_timer",
        "tcp_delack_timer_handler",
        "tcp_done",
        "tcp_fin",
        "tcp_finish_connect",
        "tcp_push",
        "tcp_rcv_established",
        "tcp_rcv_state_process",
        "tcp_rcv_synsent_state_process",
        "tcp_recvmsg",
        "tcp_reset",
        "tcp_retransmit_skb",
        "tcp_retransmit_timer",
        "tcp_rtx_synack",
        "tcp_send_ack",
        "tcp_send_active_reset",
        "tcp_send_fin",
        "tcp_sendmsg",
        "tcp_sendmsg_locked",
        "tcp_shutdown",
        "tcp_time_wait",
        "tcp_transmit_skb",
        "tcp_v4_conn_request",
        "tcp_v4_connect",
        "tcp_v4_do_rcv",
        "tcp_v4_early_demux",
        "tcp_v4_rcv",
        "tcp_v4_reqsk_send_ack",
        "tcp_v4_route_req",
        "tcp_v4_send_ack",
        "tcp_v4_send_reset",
        "tcp_v4_send_synack",
        "tcp_v4_syn_recv_sock",
        "tcp_v6_conn_request",
        "tcp_v6_do_rcv",
        "tcp_v6_early_demux",
        "tcp_v6_rcv",
        "tcp_v6_reqsk_send_ack",
        "tcp_v6_route_req",
        "tcp_v6_send_ack",
        "tcp_v6_send_reset",
        "tcp_v6_send_response",
        "tcp_v6_send_synack",
        "tcp_v6_syn_recv_sock",
        "tcp_write_timer",
        "tcp_write_timer_handler",
        "tcp_write_xmit",
        "udp6_unicast_rcv_skb",
        "udp_err",
        "udp_queue_rcv_one_skb",
        "udp_queue_rcv_skb",
        "udp_rcv",
        "udp_send_skb",
        "udp_sendmsg",
        "udp_unicast_rcv_skb",
        "udp_v4_early_demux",
        "udp_v6_early_demux",
        "udp_v6_send_skb",
        "udpv6_err",
        "udpv6_queue_rcv_one_skb",
        "udpv6_queue_rcv_skb",
        "udpv6_rcv",
        "udpv6_sendmsg",
        "update_or_create_fnhe",
        "veth_forward_skb",
        "veth_xmit",
        "virtnet_poll",
        "virtnet_receive",
        "virtnet_receive_done",
        "virtnet_receive_packets",
        "virtqueue_napi_complete",
        "vlan_do_receive",
    ]

    public static var NF_HOOK: KFunc { KFunc(id: 0) }
    public static var NF_HOOK_COND: KFunc { KFunc(id: 1) }
    public static var NF_HOOK_LIST: KFunc { KFunc(id: 2) }
    public static var ____sys_sendmsg: KFunc { KFunc(id: 3) }
    public static var ___sys_sendmsg: KFunc { KFunc(id: 4) }
    public static var __dev_forward_skb: KFunc { KFunc(id: 5) }
    public static var __dev_queue_xmit: KFunc { KFunc(id: 6) }
    public static var __dev_xmit_skb: KFunc { KFunc(id: 7) }
    public static var __do_softirq: KFunc { KFunc(id: 8) }
    public static var __do_sys_close: KFunc { KFunc(id: 9) }
    public static var __do_sys_connect: KFunc { KFunc(id: 10) }
    public static var __do_sys_recvfrom: KFunc { KFunc(id: 11) }
    public static var __do_sys_sendmmsg: KFunc { KFunc(id: 12) }
    public static var __do_sys_sendmsg: KFunc { KFunc(id: 13) }
    public static var __do_sys_sendto: KFunc { KFunc(id: 14) }
    public static var __do_sys_shutdown: KFunc { KFunc(id: 15) }
    public static var __fib_validate_source: KFunc { KFunc(id: 16) }
    public static var __fput: KFunc { KFunc(id: 17) }
    public static var __icmp_send: KFunc { KFunc(id: 18) }
    public static var __inet_stream_connect: KFunc { KFunc(id: 19) }
    public static var __ip6_append_data: KFunc { KFunc(id: 20) }
    public static var __ip6_finish_output: KFunc { KFunc(id: 21) }
    public static var __ip6_local_out: KFunc { KFunc(id: 22) }
    public static var __ip6_make_skb: KFunc { KFunc(id: 23) }
    public static var __ip6_rt_update_pmtu: KFunc { KFunc(id: 24) }
    public static var __ip_append_data: KFunc { KFunc(id: 25) }
    public static var __ip_finish_output: KFunc { KFunc(id: 26) }
    public static var __ip_local_out: KFunc { KFunc(id: 27) }
    public static var __ip_make_skb: KFunc { KFunc(id: 28) }
    public static var __ip_queue_xmit: KFunc { KFunc(id: 29) }
    public static var __ip_route_output_key: KFunc { KFunc(id: 30) }
    public static var __ip_rt_update_pmtu: KFunc { KFunc(id: 31) }
    public static var __ipv4_sk_update_pmtu: KFunc { KFunc(id: 32) }
    public static var __local_bh_enable_ip: KFunc { KFunc(id: 33) }
    public static var __napi_poll: KFunc { KFunc(id: 34) }
    public static var __neigh_create: KFunc { KFunc(id: 35) }
    public static var __neigh_event_send: KFunc { KFunc(id: 36) }
    public static var __neigh_update: KFunc { KFunc(id: 37) }
    public static var __netif_receive_skb: KFunc { KFunc(id: 38) }
    public static var __netif_receive_skb_core: KFunc { KFunc(id: 39) }
    public static var __netif_receive_skb_list: KFunc { KFunc(id: 40) }
    public static var __netif_receive_skb_list_core: KFunc { KFunc(id: 41) }
    public static var __netif_receive_skb_list_ptype: KFunc { KFunc(id: 42) }
    public static var __netif_receive_skb_one_core: KFunc { KFunc(id: 43) }
    public static var __netif_rx: KFunc { KFunc(id: 44) }
    public static var __se_sys_close: KFunc { KFunc(id: 45) }
    public static var __se_sys_connect: KFunc { KFunc(id: 46) }
    public static var __se_sys_recvfrom: KFunc { KFunc(id: 47) }
    public static var __se_sys_sendmmsg: KFunc { KFunc(id: 48) }
    public static var __se_sys_sendmsg: KFunc { KFunc(id: 49) }
    public static var __se_sys_sendto: KFunc { KFunc(id: 50) }
    public static var __se_sys_shutdown: KFunc { KFunc(id: 51) }
    public static var __skb_get_hash_net: KFunc { KFunc(id: 52) }
    public static var __sock_sendmsg: KFunc { KFunc(id: 53) }
    public static var __sys_connect: KFunc { KFunc(id: 54) }
    public static var __sys_recvfrom: KFunc { KFunc(id: 55) }
    public static var __sys_sendmmsg: KFunc { KFunc(id: 56) }
    public static var __sys_sendmsg: KFunc { KFunc(id: 57) }
    public static var __sys_sendto: KFunc { KFunc(id: 58) }
    public static var __sys_shutdown: KFunc { KFunc(id: 59) }
    public static var __tcp_close: KFunc { KFunc(id: 60) }
    public static var __tcp_push_pending_frames: KFunc { KFunc(id: 61) }
    public static var __tcp_retransmit_skb: KFunc { KFunc(id: 62) }
    public static var __tcp_send_ack: KFunc { KFunc(id: 63) }
    public static var __tcp_transmit_skb: KFunc { KFunc(id: 64) }
    public static var __udp4_lib_err: KFunc { KFunc(id: 65) }
    public static var __udp4_lib_lookup: KFunc { KFunc(id: 66) }
    public static var __udp4_lib_mcast_deliver: KFunc { KFunc(id: 67) }
    public static var __udp4_lib_rcv: KFunc { KFunc(id: 68) }
    public static var __udp6_lib_err: KFunc { KFunc(id: 69) }
    public static var __udp6_lib_mcast_deliver: KFunc { KFunc(id: 70) }
    public static var __udp6_lib_rcv: KFunc { KFunc(id: 71) }
    public static var __udp_enqueue_schedule_skb: KFunc { KFunc(id: 72) }
    public static var __udp_queue_rcv_skb: KFunc { KFunc(id: 73) }
    public static var __udpv6_queue_rcv_skb: KFunc { KFunc(id: 74) }
    public static var __x64_sys_close: KFunc { KFunc(id: 75) }
    public static var __x64_sys_connect: KFunc { KFunc(id: 76) }
    public static var __x64_sys_recvfrom: KFunc { KFunc(id: 77) }
    public static var __x64_sys_sendmmsg: KFunc { KFunc(id: 78) }
    public static var __x64_sys_sendmsg: KFunc { KFunc(id: 79) }
    public static var __x64_sys_sendto: KFunc { KFunc(id: 80) }
    public static var __x64_sys_shutdown: KFunc { KFunc(id: 81) }
    public static var arp_constructor: KFunc { KFunc(id: 82) }
    public static var arp_process: KFunc { KFunc(id: 83) }
    public static var arp_rcv: KFunc { KFunc(id: 84) }
    public static var arp_send: KFunc { KFunc(id: 85) }
    public static var arp_send_dst: KFunc { KFunc(id: 86) }
    public static var arp_solicit: KFunc { KFunc(id: 87) }
    public static var arp_xmit: KFunc { KFunc(id: 88) }
    public static var arp_xmit_finish: KFunc { KFunc(id: 89) }
    public static var call_timer_fn: KFunc { KFunc(id: 90) }
    public static var dev_gro_receive: KFunc { KFunc(id: 91) }
    public static var dev_hard_start_xmit: KFunc { KFunc(id: 92) }
    public static var dev_queue_xmit: KFunc { KFunc(id: 93) }
    public static var do_softirq: KFunc { KFunc(id: 94) }
    public static var do_syscall_64: KFunc { KFunc(id: 95) }
    public static var dst_discard: KFunc { KFunc(id: 96) }
    public static var dst_discard_out: KFunc { KFunc(id: 97) }
    public static var dst_input: KFunc { KFunc(id: 98) }
    public static var dst_output: KFunc { KFunc(id: 99) }
    public static var e1000_clean: KFunc { KFunc(id: 100) }
    public static var e1000_clean_rx_irq: KFunc { KFunc(id: 101) }
    public static var e1000_receive_skb: KFunc { KFunc(id: 102) }
    public static var e1000_xmit_frame: KFunc { KFunc(id: 103) }
    public static var enqueue_to_backlog: KFunc { KFunc(id: 104) }
    public static var entry_SYSCALL_64: KFunc { KFunc(id: 105) }
    public static var entry_SYSCALL_64_after_hwframe: KFunc { KFunc(id: 106) }
    public static var eth_type_trans: KFunc { KFunc(id: 107) }
    public static var fib6_rule_lookup: KFunc { KFunc(id: 108) }
    public static var fib6_table_lookup: KFunc { KFunc(id: 109) }
    public static var fib_lookup: KFunc { KFunc(id: 110) }
    public static var fib_rules_lookup: KFunc { KFunc(id: 111) }
    public static var fib_table_lookup: KFunc { KFunc(id: 112) }
    public static var fib_validate_source: KFunc { KFunc(id: 113) }
    public static var fq_find: KFunc { KFunc(id: 114) }
    public static var get_rps_cpu: KFunc { KFunc(id: 115) }
    public static var gro_normal_list: KFunc { KFunc(id: 116) }
    public static var gro_normal_one: KFunc { KFunc(id: 117) }
    public static var handle_softirqs: KFunc { KFunc(id: 118) }
    public static var icmp6_send: KFunc { KFunc(id: 119) }
    public static var icmp_echo: KFunc { KFunc(id: 120) }
    public static var icmp_rcv: KFunc { KFunc(id: 121) }
    public static var icmp_reply: KFunc { KFunc(id: 122) }
    public static var icmp_socket_deliver: KFunc { KFunc(id: 123) }
    public static var icmp_timestamp: KFunc { KFunc(id: 124) }
    public static var icmp_unreach: KFunc { KFunc(id: 125) }
    public static var icmpv6_echo_reply: KFunc { KFunc(id: 126) }
    public static var icmpv6_notify: KFunc { KFunc(id: 127) }
    public static var icmpv6_push_pending_frames: KFunc { KFunc(id: 128) }
    public static var icmpv6_rcv: KFunc { KFunc(id: 129) }
    public static var icmpv6_route_lookup: KFunc { KFunc(id: 130) }
    public static var icmpv6_rt_has_prefsrc: KFunc { KFunc(id: 131) }
    public static var icmpv6_xrlim_allow: KFunc { KFunc(id: 132) }
    public static var igmp_heard_query: KFunc { KFunc(id: 133) }
    public static var igmp_heard_report: KFunc { KFunc(id: 134) }
    public static var igmp_rcv: KFunc { KFunc(id: 135) }
    public static var inet6_csk_route_req: KFunc { KFunc(id: 136) }
    public static var inet6_csk_xmit: KFunc { KFunc(id: 137) }
    public static var inet6_sendmsg: KFunc { KFunc(id: 138) }
    public static var inet_csk_route_child_sock: KFunc { KFunc(id: 139) }
    public static var inet_csk_route_req: KFunc { KFunc(id: 140) }
    public static var inet_frag_reasm_prepare: KFunc { KFunc(id: 141) }
    public static var inet_recvmsg: KFunc { KFunc(id: 142) }
    public static var inet_release: KFunc { KFunc(id: 143) }
    public static var inet_rtx_syn_ack: KFunc { KFunc(id: 144) }
    public static var inet_sendmsg: KFunc { KFunc(id: 145) }
    public static var inet_shutdown: KFunc { KFunc(id: 146) }
    public static var inet_stream_connect: KFunc { KFunc(id: 147) }
    public static var ip6_append_data: KFunc { KFunc(id: 148) }
    public static var ip6_dst_lookup: KFunc { KFunc(id: 149) }
    public static var ip6_dst_lookup_flow: KFunc { KFunc(id: 150) }
    public static var ip6_finish_output: KFunc { KFunc(id: 151) }
    public static var ip6_finish_output2: KFunc { KFunc(id: 152) }
    public static var ip6_forward: KFunc { KFunc(id: 153) }
    public static var ip6_forward_finish: KFunc { KFunc(id: 154) }
    public static var ip6_frag_queue: KFunc { KFunc(id: 155) }
    public static var ip6_frag_reasm: KFunc { KFunc(id: 156) }
    public static var ip6_fragment: KFunc { KFunc(id: 157) }
    public static var ip6_input: KFunc { KFunc(id: 158) }
    public static var ip6_input_finish: KFunc { KFunc(id: 159) }
    public static var ip6_list_rcv_finish: KFunc { KFunc(id: 160) }
    public static var ip6_local_out: KFunc { KFunc(id: 161) }
    public static var ip6_make_skb: KFunc { KFunc(id: 162) }
    public static var ip6_mc_input: KFunc { KFunc(id: 163) }
    public static var ip6_output: KFunc { KFunc(id: 164) }
    public static var ip6_parse_tlv: KFunc { KFunc(id: 165) }
    public static var ip6_pkt_discard: KFunc { KFunc(id: 166) }
    public static var ip6_pkt_drop: KFunc { KFunc(id: 167) }
    public static var ip6_pkt_prohibit: KFunc { KFunc(id: 168) }
    public static var ip6_pol_route: KFunc { KFunc(id: 169) }
    public static var ip6_pol_route_input: KFunc { KFunc(id: 170) }
    public static var ip6_pol_route_output: KFunc { KFunc(id: 171) }
    public static var ip6_protocol_deliver_rcu: KFunc { KFunc(id: 172) }
    public static var ip6_push_pending_frames: KFunc { KFunc(id: 173) }
    public static var ip6_rcv_core: KFunc { KFunc(id: 174) }
    public static var ip6_rcv_finish: KFunc { KFunc(id: 175) }
    public static var ip6_rcv_finish_core: KFunc { KFunc(id: 176) }
    public static var ip6_route_input: KFunc { KFunc(id: 177) }
    public static var ip6_route_input_lookup: KFunc { KFunc(id: 178) }
    public static var ip6_route_output_flags: KFunc { KFunc(id: 179) }
    public static var ip6_send_skb: KFunc { KFunc(id: 180) }
    public static var ip6_sk_dst_lookup_flow: KFunc { KFunc(id: 181) }
    public static var ip6_sk_update_pmtu: KFunc { KFunc(id: 182) }
    public static var ip6_sublist_rcv: KFunc { KFunc(id: 183) }
    public static var ip6_sublist_rcv_finish: KFunc { KFunc(id: 184) }
    public static var ip6_tlvopt_unknown: KFunc { KFunc(id: 185) }
    public static var ip6_update_pmtu: KFunc { KFunc(id: 186) }
    public static var ip6_xmit: KFunc { KFunc(id: 187) }
    public static var ip_append_data: KFunc { KFunc(id: 188) }
    public static var ip_build_and_send_pkt: KFunc { KFunc(id: 189) }
    public static var ip_defrag: KFunc { KFunc(id: 190) }
    public static var ip_do_fragment: KFunc { KFunc(id: 191) }
    public static var ip_error: KFunc { KFunc(id: 192) }
    public static var ip_expire: KFunc { KFunc(id: 193) }
    public static var ip_find: KFunc { KFunc(id: 194) }
    public static var ip_finish_output: KFunc { KFunc(id: 195) }
    public static var ip_finish_output2: KFunc { KFunc(id: 196) }
    public static var ip_finish_output_gso: KFunc { KFunc(id: 197) }
    public static var ip_forward: KFunc { KFunc(id: 198) }
    public static var ip_forward_finish: KFunc { KFunc(id: 199) }
    public static var ip_frag_queue: KFunc { KFunc(id: 200) }
    public static var ip_frag_reasm: KFunc { KFunc(id: 201) }
    public static var ip_fragment: KFunc { KFunc(id: 202) }
    public static var ip_list_rcv: KFunc { KFunc(id: 203) }
    public static var ip_list_rcv_finish: KFunc { KFunc(id: 204) }
    public static var ip_local_deliver: KFunc { KFunc(id: 205) }
    public static var ip_local_deliver_finish: KFunc { KFunc(id: 206) }
    public static var ip_local_error: KFunc { KFunc(id: 207) }
    public static var ip_local_out: KFunc { KFunc(id: 208) }
    public static var ip_make_skb: KFunc { KFunc(id: 209) }
    public static var ip_mc_validate_source: KFunc { KFunc(id: 210) }
    public static var ip_mkroute_input: KFunc { KFunc(id: 211) }
    public static var ip_options_compile: KFunc { KFunc(id: 212) }
    public static var ip_output: KFunc { KFunc(id: 213) }
    public static var ip_protocol_deliver_rcu: KFunc { KFunc(id: 214) }
    public static var ip_push_pending_frames: KFunc { KFunc(id: 215) }
    public static var ip_queue_xmit: KFunc { KFunc(id: 216) }
    public static var ip_rcv: KFunc { KFunc(id: 217) }
    public static var ip_rcv_core: KFunc { KFunc(id: 218) }
    public static var ip_rcv_finish: KFunc { KFunc(id: 219) }
    public static var ip_rcv_finish_core: KFunc { KFunc(id: 220) }
    public static var ip_rcv_options: KFunc { KFunc(id: 221) }
    public static var ip_route_connect: KFunc { KFunc(id: 222) }
    public static var ip_route_input_mc: KFunc { KFunc(id: 223) }
    public static var ip_route_input_noref: KFunc { KFunc(id: 224) }
    public static var ip_route_input_rcu: KFunc { KFunc(id: 225) }
    public static var ip_route_input_slow: KFunc { KFunc(id: 226) }
    public static var ip_route_me_harder: KFunc { KFunc(id: 227) }
    public static var ip_route_newports: KFunc { KFunc(id: 228) }
    public static var ip_route_output_flow: KFunc { KFunc(id: 229) }
    public static var ip_route_output_key: KFunc { KFunc(id: 230) }
    public static var ip_route_output_key_hash: KFunc { KFunc(id: 231) }
    public static var ip_route_output_key_hash_rcu: KFunc { KFunc(id: 232) }
    public static var ip_route_output_ports: KFunc { KFunc(id: 233) }
    public static var ip_rt_send_redirect: KFunc { KFunc(id: 234) }
    public static var ip_send_skb: KFunc { KFunc(id: 235) }
    public static var ip_send_unicast_reply: KFunc { KFunc(id: 236) }
    public static var ip_sublist_rcv: KFunc { KFunc(id: 237) }
    public static var ip_sublist_rcv_finish: KFunc { KFunc(id: 238) }
    public static var ipv4_conntrack_defrag: KFunc { KFunc(id: 239) }
    public static var ipv4_conntrack_in: KFunc { KFunc(id: 240) }
    public static var ipv4_conntrack_local: KFunc { KFunc(id: 241) }
    public static var ipv4_sk_update_pmtu: KFunc { KFunc(id: 242) }
    public static var ipv4_update_pmtu: KFunc { KFunc(id: 243) }
    public static var ipv6_chk_mcast_addr: KFunc { KFunc(id: 244) }
    public static var ipv6_destopt_rcv: KFunc { KFunc(id: 245) }
    public static var ipv6_frag_rcv: KFunc { KFunc(id: 246) }
    public static var ipv6_list_rcv: KFunc { KFunc(id: 247) }
    public static var ipv6_parse_hopopts: KFunc { KFunc(id: 248) }
    public static var ipv6_rcv: KFunc { KFunc(id: 249) }
    public static var ipv6_rthdr_rcv: KFunc { KFunc(id: 250) }
    public static var kfree_skb_reason: KFunc { KFunc(id: 251) }
    public static var kthread: KFunc { KFunc(id: 252) }
    public static var napi_complete_done: KFunc { KFunc(id: 253) }
    public static var napi_gro_receive: KFunc { KFunc(id: 254) }
    public static var napi_poll: KFunc { KFunc(id: 255) }
    public static var napi_skb_finish: KFunc { KFunc(id: 256) }
    public static var ndisc_rcv: KFunc { KFunc(id: 257) }
    public static var ndisc_recv_na: KFunc { KFunc(id: 258) }
    public static var ndisc_recv_ns: KFunc { KFunc(id: 259) }
    public static var ndisc_send_na: KFunc { KFunc(id: 260) }
    public static var ndisc_send_ns: KFunc { KFunc(id: 261) }
    public static var ndisc_send_skb: KFunc { KFunc(id: 262) }
    public static var ndisc_solicit: KFunc { KFunc(id: 263) }
    public static var neigh_connected_output: KFunc { KFunc(id: 264) }
    public static var neigh_event_send: KFunc { KFunc(id: 265) }
    public static var neigh_hh_output: KFunc { KFunc(id: 266) }
    public static var neigh_output: KFunc { KFunc(id: 267) }
    public static var neigh_probe: KFunc { KFunc(id: 268) }
    public static var neigh_resolve_output: KFunc { KFunc(id: 269) }
    public static var neigh_timer_handler: KFunc { KFunc(id: 270) }
    public static var neigh_update: KFunc { KFunc(id: 271) }
    public static var net_rx_action: KFunc { KFunc(id: 272) }
    public static var netif_receive_skb_internal: KFunc { KFunc(id: 273) }
    public static var netif_receive_skb_list_internal: KFunc { KFunc(id: 274) }
    public static var netif_rx_internal: KFunc { KFunc(id: 275) }
    public static var nf_confirm: KFunc { KFunc(id: 276) }
    public static var nf_conntrack_icmpv4_error: KFunc { KFunc(id: 277) }
    public static var nf_conntrack_in: KFunc { KFunc(id: 278) }
    public static var nf_ct_ipv4_gather_frags: KFunc { KFunc(id: 279) }
    public static var nf_hook: KFunc { KFunc(id: 280) }
    public static var nf_hook_slow: KFunc { KFunc(id: 281) }
    public static var nf_hook_slow_list: KFunc { KFunc(id: 282) }
    public static var nf_nat_icmp_reply_translation: KFunc { KFunc(id: 283) }
    public static var nf_nat_inet_fn: KFunc { KFunc(id: 284) }
    public static var nf_nat_ipv4_local_fn: KFunc { KFunc(id: 285) }
    public static var nf_nat_ipv4_local_in: KFunc { KFunc(id: 286) }
    public static var nf_nat_ipv4_out: KFunc { KFunc(id: 287) }
    public static var nf_nat_ipv4_pre_routing: KFunc { KFunc(id: 288) }
    public static var nf_nat_manip_pkt: KFunc { KFunc(id: 289) }
    public static var nf_send_reset: KFunc { KFunc(id: 290) }
    public static var nf_send_reset6: KFunc { KFunc(id: 291) }
    public static var nf_send_unreach: KFunc { KFunc(id: 292) }
    public static var nf_send_unreach6: KFunc { KFunc(id: 293) }
    public static var nft_do_chain: KFunc { KFunc(id: 294) }
    public static var nft_do_chain_arp: KFunc { KFunc(id: 295) }
    public static var nft_do_chain_inet: KFunc { KFunc(id: 296) }
    public static var nft_do_chain_ipv4: KFunc { KFunc(id: 297) }
    public static var nft_do_chain_ipv6: KFunc { KFunc(id: 298) }
    public static var nft_nat_do_chain: KFunc { KFunc(id: 299) }
    public static var nft_reject_inet_eval: KFunc { KFunc(id: 300) }
    public static var nft_reject_ipv4_eval: KFunc { KFunc(id: 301) }
    public static var nft_reject_ipv6_eval: KFunc { KFunc(id: 302) }
    public static var page_to_skb: KFunc { KFunc(id: 303) }
    public static var ping_rcv: KFunc { KFunc(id: 304) }
    public static var ping_v4_push_pending_frames: KFunc { KFunc(id: 305) }
    public static var ping_v4_sendmsg: KFunc { KFunc(id: 306) }
    public static var ping_v6_sendmsg: KFunc { KFunc(id: 307) }
    public static var process_backlog: KFunc { KFunc(id: 308) }
    public static var raw_icmp_error: KFunc { KFunc(id: 309) }
    public static var raw_local_deliver: KFunc { KFunc(id: 310) }
    public static var raw_send_hdrinc: KFunc { KFunc(id: 311) }
    public static var raw_sendmsg: KFunc { KFunc(id: 312) }
    public static var rawv6_push_pending_frames: KFunc { KFunc(id: 313) }
    public static var rawv6_sendmsg: KFunc { KFunc(id: 314) }
    public static var receive_buf: KFunc { KFunc(id: 315) }
    public static var receive_mergeable: KFunc { KFunc(id: 316) }
    public static var ret_from_fork: KFunc { KFunc(id: 317) }
    public static var run_ksoftirqd: KFunc { KFunc(id: 318) }
    public static var sch_direct_xmit: KFunc { KFunc(id: 319) }
    public static var smpboot_thread_fn: KFunc { KFunc(id: 320) }
    public static var sock_close: KFunc { KFunc(id: 321) }
    public static var sock_sendmsg: KFunc { KFunc(id: 322) }
    public static var sock_sendmsg_nosec: KFunc { KFunc(id: 323) }
    public static var start_xmit: KFunc { KFunc(id: 324) }
    public static var tcp_ack: KFunc { KFunc(id: 325) }
    public static var tcp_check_req: KFunc { KFunc(id: 326) }
    public static var tcp_child_process: KFunc { KFunc(id: 327) }
    public static var tcp_cleanup_rbuf: KFunc { KFunc(id: 328) }
    public static var tcp_close: KFunc { KFunc(id: 329) }
    public static var tcp_conn_request: KFunc { KFunc(id: 330) }
    public static var tcp_connect: KFunc { KFunc(id: 331) }
    public static var tcp_create_openreq_child: KFunc { KFunc(id: 332) }
    public static var tcp_data_queue: KFunc { KFunc(id: 333) }
    public static var tcp_delack_timer: KFunc { KFunc(id: 334) }
    public static var tcp_delack_timer_handler: KFunc { KFunc(id: 335) }
    public static var tcp_done: KFunc { KFunc(id: 336) }
    public static var tcp_fin: KFunc { KFunc(id: 337) }
    public static var tcp_finish_connect: KFunc { KFunc(id: 338) }
    public static var tcp_push: KFunc { KFunc(id: 339) }
    public static var tcp_rcv_established: KFunc { KFunc(id: 340) }
    public static var tcp_rcv_state_process: KFunc { KFunc(id: 341) }
    public static var tcp_rcv_synsent_state_process: KFunc { KFunc(id: 342) }
    public static var tcp_recvmsg: KFunc { KFunc(id: 343) }
    public static var tcp_reset: KFunc { KFunc(id: 344) }
    public static var tcp_retransmit_skb: KFunc { KFunc(id: 345) }
    public static var tcp_retransmit_timer: KFunc { KFunc(id: 346) }
    public static var tcp_rtx_synack: KFunc { KFunc(id: 347) }
    public static var tcp_send_ack: KFunc { KFunc(id: 348) }
    public static var tcp_send_active_reset: KFunc { KFunc(id: 349) }
    public static var tcp_send_fin: KFunc { KFunc(id: 350) }
    public static var tcp_sendmsg: KFunc { KFunc(id: 351) }
    public static var tcp_sendmsg_locked: KFunc { KFunc(id: 352) }
    public static var tcp_shutdown: KFunc { KFunc(id: 353) }
    public static var tcp_time_wait: KFunc { KFunc(id: 354) }
    public static var tcp_transmit_skb: KFunc { KFunc(id: 355) }
    public static var tcp_v4_conn_request: KFunc { KFunc(id: 356) }
    public static var tcp_v4_connect: KFunc { KFunc(id: 357) }
    public static var tcp_v4_do_rcv: KFunc { KFunc(id: 358) }
    public static var tcp_v4_early_demux: KFunc { KFunc(id: 359) }
    public static var tcp_v4_rcv: KFunc { KFunc(id: 360) }
    public static var tcp_v4_reqsk_send_ack: KFunc { KFunc(id: 361) }
    public static var tcp_v4_route_req: KFunc { KFunc(id: 362) }
    public static var tcp_v4_send_ack: KFunc { KFunc(id: 363) }
    public static var tcp_v4_send_reset: KFunc { KFunc(id: 364) }
    public static var tcp_v4_send_synack: KFunc { KFunc(id: 365) }
    public static var tcp_v4_syn_recv_sock: KFunc { KFunc(id: 366) }
    public static var tcp_v6_conn_request: KFunc { KFunc(id: 367) }
    public static var tcp_v6_do_rcv: KFunc { KFunc(id: 368) }
    public static var tcp_v6_early_demux: KFunc { KFunc(id: 369) }
    public static var tcp_v6_rcv: KFunc { KFunc(id: 370) }
    public static var tcp_v6_reqsk_send_ack: KFunc { KFunc(id: 371) }
    public static var tcp_v6_route_req: KFunc { KFunc(id: 372) }
    public static var tcp_v6_send_ack: KFunc { KFunc(id: 373) }
    public static var tcp_v6_send_reset: KFunc { KFunc(id: 374) }
    public static var tcp_v6_send_response: KFunc { KFunc(id: 375) }
    public static var tcp_v6_send_synack: KFunc { KFunc(id: 376) }
    public static var tcp_v6_syn_recv_sock: KFunc { KFunc(id: 377) }
    public static var tcp_write_timer: KFunc { KFunc(id: 378) }
    public static var tcp_write_timer_handler: KFunc { KFunc(id: 379) }
    public static var tcp_write_xmit: KFunc { KFunc(id: 380) }
    public static var udp6_unicast_rcv_skb: KFunc { KFunc(id: 381) }
    public static var udp_err: KFunc { KFunc(id: 382) }
    public static var udp_queue_rcv_one_skb: KFunc { KFunc(id: 383) }
    public static var udp_queue_rcv_skb: KFunc { KFunc(id: 384) }
    public static var udp_rcv: KFunc { KFunc(id: 385) }
    public static var udp_send_skb: KFunc { KFunc(id: 386) }
    public static var udp_sendmsg: KFunc { KFunc(id: 387) }
    public static var udp_unicast_rcv_skb: KFunc { KFunc(id: 388) }
    public static var udp_v4_early_demux: KFunc { KFunc(id: 389) }
    public static var udp_v6_early_demux: KFunc { KFunc(id: 390) }
    public static var udp_v6_send_skb: KFunc { KFunc(id: 391) }
    public static var udpv6_err: KFunc { KFunc(id: 392) }
    public static var udpv6_queue_rcv_one_skb: KFunc { KFunc(id: 393) }
    public static var udpv6_queue_rcv_skb: KFunc { KFunc(id: 394) }
    public static var udpv6_rcv: KFunc { KFunc(id: 395) }
    public static var udpv6_sendmsg: KFunc { KFunc(id: 396) }
    public static var update_or_create_fnhe: KFunc { KFunc(id: 397) }
    public static var veth_forward_skb: KFunc { KFunc(id: 398) }
    public static var veth_xmit: KFunc { KFunc(id: 399) }
    public static var virtnet_poll: KFunc { KFunc(id: 400) }
    public static var virtnet_receive: KFunc { KFunc(id: 401) }
    public static var virtnet_receive_done: KFunc { KFunc(id: 402) }
    public static var virtnet_receive_packets: KFunc { KFunc(id: 403) }
    public static var virtqueue_napi_complete: KFunc { KFunc(id: 404) }
    public static var vlan_do_receive: KFunc { KFunc(id: 405) }
}
